"""ni visit diagnoses

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08

``ni_visits.diagnoses``: the rows of a visit's last 2203 ``diseinfo[]`` (diagnosis type, order, code, name,
department, doctor, time, valid flag), checked against the standard's table and kept as sent, so that 5202
(诊断信息查询) answers them (NI-3).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('ni_visits') as batch:
        batch.add_column(sa.Column('diagnoses', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('ni_visits') as batch:
        batch.drop_column('diagnoses')
