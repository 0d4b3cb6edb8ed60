"""A bank-style verification run: concurrent clients, a nemesis that kills the server and the database, and a
checker that proves from the clients' logs and the database that no acknowledged payment was lost, none was made
twice, and the ledger still holds (docs/reliability.md)."""
