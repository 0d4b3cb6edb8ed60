"""ni visit settled

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

A national-interface visit (``ni_visits``) becomes ``settled`` when a settlement of it is made: its outpatient
number (``ipt_otp_no``) is then free for a later visit, as it is after a cancellation; the visit stays known by
its ``mdtrt_id``. The unique index of open outpatient numbers is unchanged (it covers ``open`` only).
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = "status IN ('open', 'cancelled')"
NEW = "status IN ('open', 'settled', 'cancelled')"


def upgrade() -> None:
    with op.batch_alter_table('ni_visits', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_ni_visits_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_ni_visits_status'), NEW)


def downgrade() -> None:
    # Back to open, one visit per outpatient number (the newest); a settled visit whose number was used again
    # after it cannot be open beside that one, and is marked cancelled (its settlements stay as they are).
    op.execute("UPDATE ni_visits SET status = 'cancelled' WHERE status = 'settled' AND ipt_otp_no IS NOT NULL AND "
               "EXISTS (SELECT 1 FROM ni_visits AS later WHERE later.institution_id = ni_visits.institution_id "
               "AND later.ipt_otp_no = ni_visits.ipt_otp_no AND later.id > ni_visits.id)")
    op.execute("UPDATE ni_visits SET status = 'open' WHERE status = 'settled'")
    with op.batch_alter_table('ni_visits', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_ni_visits_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_ni_visits_status'), OLD)
