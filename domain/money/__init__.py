"""Money: the programme's double-entry ledger, the payment gateway port, wallets and allocation funding.

The ledger in our own database is the book of record; the gateway moves the money. The domain decides
what moves (which accounts, how much, under which idempotency key); adapters only record and carry it out.
"""
