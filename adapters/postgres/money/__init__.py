"""Money on Postgres: the ledger, payment settings, allocation fundings and the sandbox gateway's books."""
