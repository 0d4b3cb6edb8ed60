"""login attempts

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23

Login throttling (gongji/auth/throttle.py): one row per login attempt not known to have succeeded, by account (a
SHA-256 of the kind and the identifier) and by client address, so that every worker process counts the same
failures. Rows older than the window are deleted as the same account or client tries again.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gongji.db.base

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('login_attempts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account', sa.String(length=64), nullable=False),
    sa.Column('client', sa.String(length=64), nullable=False),
    sa.Column('at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempts'))
    )
    op.create_index('ix_login_attempts_account_at', 'login_attempts', ['account', 'at'], unique=False)
    op.create_index('ix_login_attempts_client_at', 'login_attempts', ['client', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_login_attempts_client_at', table_name='login_attempts')
    op.drop_index('ix_login_attempts_account_at', table_name='login_attempts')
    op.drop_table('login_attempts')
