"""The medical insurance wallet (医保钱包, WAL-1..WAL-4, HN-9): relatives send personal-account money into it."""
