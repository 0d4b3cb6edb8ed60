"""http api schema

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

What the HTTP service keeps: staff members, people's passwords, institutions' secret versions,
login sessions, seen signature nonces, stored answers for idempotency keys, and the notification
outbox.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gongji.db.base

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('auth_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('principal_kind', sa.String(length=12), nullable=False),
    sa.Column('principal_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', gongji.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_auth_sessions'))
    )
    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_auth_sessions_expires_at', ['expires_at'], unique=False)

    op.create_table('institution_keys',
    sa.Column('institution_code', sa.String(length=30), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('issued_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('issued_by', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('institution_code', name=op.f('pk_institution_keys'))
    )
    op.create_table('seen_nonces',
    sa.Column('institution_code', sa.String(length=30), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('seen_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('institution_code', 'nonce', name=op.f('pk_seen_nonces'))
    )
    with op.batch_alter_table('seen_nonces', schema=None) as batch_op:
        batch_op.create_index('ix_seen_nonces_seen_at', ['seen_at'], unique=False)

    op.create_table('staff_members',
    sa.Column('staff_id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('region_prefix', sa.String(length=6), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('staff', 'admin')", name=op.f('ck_staff_members_role')),
    sa.PrimaryKeyConstraint('staff_id', name=op.f('pk_staff_members'))
    )
    op.create_table('stored_responses',
    sa.Column('scope', sa.String(length=80), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('created_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'key', name=op.f('pk_stored_responses'))
    )
    op.create_table('notifications',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('event_id', sa.BigInteger(), nullable=False),
    sa.Column('person_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lease_until', gongji.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', gongji.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('read_at', gongji.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_notifications_event_id_events')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_notifications_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('event_id', 'person_id', name=op.f('uq_notifications_event_id_person_id'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_notifications_person', ['person_id', 'id'], unique=False)

    op.create_table('person_credentials',
    sa.Column('person_id', sa.BigInteger(), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('set_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('set_by', sa.String(length=60), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_person_credentials_person_id_people')),
    sa.PrimaryKeyConstraint('person_id', name=op.f('pk_person_credentials'))
    )


def downgrade() -> None:
    op.drop_table('person_credentials')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_person')
        batch_op.drop_index('ix_notifications_due')

    op.drop_table('notifications')
    op.drop_table('stored_responses')
    op.drop_table('staff_members')
    with op.batch_alter_table('seen_nonces', schema=None) as batch_op:
        batch_op.drop_index('ix_seen_nonces_seen_at')

    op.drop_table('seen_nonces')
    op.drop_table('institution_keys')
    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_auth_sessions_expires_at')

    op.drop_table('auth_sessions')
