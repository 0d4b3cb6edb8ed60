"""A PostgreSQL failover group on this machine (pg_auto_failover) and PgBouncer in front of a server: what
``gongji cluster`` starts, and what ``gongji verify --cluster`` and the tests run against (docs/reliability.md)."""
