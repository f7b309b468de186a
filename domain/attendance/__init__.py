"""Attendance: each week, families and providers confirm how many days a child was in care (upstream §2.5)."""
