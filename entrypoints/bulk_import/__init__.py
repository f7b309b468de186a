"""`cap-portal import FILE`: bulk loads of families, providers and provider↔child links.

A file is read into records (json_file, csv_file); each record then goes through the same use case as
the admin API, in its own transaction (runner), so one bad record is rejected with its reason and the
others carry on. Records are matched by external_id, which makes a repeated import an update.
"""
