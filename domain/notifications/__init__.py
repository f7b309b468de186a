"""Notifications: messages to people and to staff, recorded in the caller's transaction and sent by a job."""
