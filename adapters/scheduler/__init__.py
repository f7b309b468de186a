"""The scheduler process: APScheduler 3.11 for delayed jobs and cron schedules, fed from Postgres."""
