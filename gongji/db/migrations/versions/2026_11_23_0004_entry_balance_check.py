"""entry balance check per entry

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

On PostgreSQL the commit-time check that an entry's postings sum to zero ran once per posting, and each run summed
every posting of the entry: fine for a settlement's three postings, quadratic for a monthly credit that posts to a
hundred thousand accounts in one entry. The check now runs once per entry (a deferred constraint trigger on
``ledger_entries``), and also refuses an entry with fewer than two postings. Postings are still append-only.
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS postings_balanced ON postings")
    op.execute("DROP FUNCTION IF EXISTS gongji_entry_balanced()")
    op.execute(
        """
        CREATE FUNCTION gongji_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            total bigint;
            legs bigint;
        BEGIN
            SELECT COALESCE(SUM(amount_fen), 0), COUNT(*) INTO total, legs FROM postings WHERE entry_id = NEW.id;
            IF total <> 0 THEN
                RAISE EXCEPTION 'ledger entry % does not balance (sum %)', NEW.id, total USING ERRCODE = '23514';
            END IF;
            IF legs < 2 THEN
                RAISE EXCEPTION 'ledger entry % has % postings; an entry moves money between at least two accounts',
                    NEW.id, legs USING ERRCODE = '23514';
            END IF;
            RETURN NULL;
        END $$;
        """
    )
    op.execute(
        "CREATE CONSTRAINT TRIGGER entries_balanced AFTER INSERT ON ledger_entries "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION gongji_entry_balanced()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS entries_balanced ON ledger_entries")
    op.execute("DROP FUNCTION IF EXISTS gongji_entry_balanced()")
    op.execute(
        """
        CREATE FUNCTION gongji_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF (SELECT COALESCE(SUM(amount_fen), 0) FROM postings WHERE entry_id = NEW.entry_id) <> 0 THEN
                RAISE EXCEPTION 'ledger entry % does not balance', NEW.entry_id USING ERRCODE = '23514';
            END IF;
            RETURN NULL;
        END $$;
        """
    )
    op.execute(
        "CREATE CONSTRAINT TRIGGER postings_balanced AFTER INSERT ON postings "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION gongji_entry_balanced()"
    )
