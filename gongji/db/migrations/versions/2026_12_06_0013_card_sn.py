"""card identification codes

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06

``enrollments.card_sn``: the identification code (卡识别码) of the person's social security card, as the card
issuer recorded it. A 1101 read of a social security card (03) must present it (NI-2): the card number alone, a
sequential number, no longer tells who a person is.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('enrollments') as batch:
        batch.add_column(sa.Column('card_sn', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('enrollments') as batch:
        batch.drop_column('card_sn')
