"""Money's use cases: wallets, payment settings and allocation funding."""
