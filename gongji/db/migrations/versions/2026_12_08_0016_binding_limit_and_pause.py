"""a payer's monthly limit on a binding, and its pause

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08

``bindings.monthly_limit_fen``: what the payer's account pays for this relative at most in one calendar month, China
Standard Time (PP-1); NULL: no limit. ``bindings.paused_at``: set while the payer or the relative has paused the
binding; a paused binding pays nothing (D-3) and resumes as it was.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gongji.db.base import UTCDateTime

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('bindings') as batch:
        batch.add_column(sa.Column('monthly_limit_fen', sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column('paused_at', UTCDateTime(timezone=True), nullable=True))
        batch.create_check_constraint(op.f('ck_bindings_monthly_limit'),
                                      'monthly_limit_fen IS NULL OR monthly_limit_fen >= 0')


def downgrade() -> None:
    with op.batch_alter_table('bindings') as batch:
        batch.drop_constraint(op.f('ck_bindings_monthly_limit'), type_='check')
        batch.drop_column('paused_at')
        batch.drop_column('monthly_limit_fen')
