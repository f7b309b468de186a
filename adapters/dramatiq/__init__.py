"""Dramatiq on Redis: the broker, the job status middleware and the job manager."""
