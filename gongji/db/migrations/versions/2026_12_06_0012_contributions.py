"""contributions

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

Contributions decide status (LC-1..LC-4): ``contributions`` (one row per person and month, unique, as the
collecting authority passes them on); on ``enrollments`` the status registration or staff recorded
(``recorded_status`` with its ``status_reason``), why ``status`` is what it is (``status_cause``) and the last
month contributions cover (``last_paid_month``). Existing enrollments keep their status as the recorded one.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gongji.db.base

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('contributions',
    sa.Column('id', BigId, nullable=False),
    sa.Column('person_id', BigId, nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('payer_kind', sa.String(length=10), nullable=False),
    sa.Column('employer_fen', sa.BigInteger(), nullable=False),
    sa.Column('individual_fen', sa.BigInteger(), nullable=False),
    sa.Column('base_fen', sa.BigInteger(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=80), nullable=False),
    sa.Column('recorded_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("payer_kind IN ('employer', 'individual')", name=op.f('ck_contributions_payer_kind_known')),
    sa.CheckConstraint('employer_fen >= 0 AND individual_fen >= 0 AND base_fen >= 0',
                       name=op.f('ck_contributions_amounts_not_negative')),
    sa.CheckConstraint('employer_fen + individual_fen > 0', name=op.f('ck_contributions_something_paid')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_contributions_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contributions')),
    sa.UniqueConstraint('person_id', 'month', name=op.f('uq_contributions_person_id_month'))
    )
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_status', sa.String(length=10), nullable=False,
                                      server_default='normal'))
        batch_op.add_column(sa.Column('status_reason', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('status_cause', sa.String(length=20), nullable=False,
                                      server_default='registered'))
        batch_op.add_column(sa.Column('last_paid_month', sa.String(length=7), nullable=True))
    op.execute("UPDATE enrollments SET recorded_status = status")
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.alter_column('recorded_status', server_default=None)
        batch_op.alter_column('status_cause', server_default=None)
        batch_op.create_check_constraint(op.f('ck_enrollments_recorded_status'),
                                         "recorded_status IN ('normal', 'suspended', 'terminated')")
        batch_op.create_check_constraint(op.f('ck_enrollments_status_cause'),
                                         "status_cause IN ('registered', 'staff', 'contributions')")


def downgrade() -> None:
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_enrollments_status_cause'), type_='check')
        batch_op.drop_constraint(op.f('ck_enrollments_recorded_status'), type_='check')
        batch_op.drop_column('last_paid_month')
        batch_op.drop_column('status_cause')
        batch_op.drop_column('status_reason')
        batch_op.drop_column('recorded_status')
    op.drop_table('contributions')
