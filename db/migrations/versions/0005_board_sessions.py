"""board sessions and login failures

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04

Board sessions move from a signed cookie alone to a row per login (`boardsession`, keyed by the
SHA-256 of the cookie's random id), so logout, `users passwd` and `users disable` end them on the
server. Failed logins become rows too (`loginfailure`, insert-only: instances counting at once lose
no count); the old KeyValue counters (`login-failures:`) are dropped, they last 15 minutes anyway.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('loginfailure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('loginfailure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loginfailure_at'), ['at'], unique=False)
        batch_op.create_index('ix_loginfailure_key_at', ['key', 'at'], unique=False)

    op.create_table('boardsession',
    sa.Column('id_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id_hash')
    )
    with op.batch_alter_table('boardsession', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_boardsession_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_boardsession_user_id'), ['user_id'], unique=False)

    kv = sa.table('keyvalue', sa.column('key', sa.String))
    op.get_bind().execute(kv.delete().where(kv.c.key.startswith('login-failures:')))


def downgrade() -> None:
    with op.batch_alter_table('boardsession', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_boardsession_user_id'))
        batch_op.drop_index(batch_op.f('ix_boardsession_expires_at'))

    op.drop_table('boardsession')
    with op.batch_alter_table('loginfailure', schema=None) as batch_op:
        batch_op.drop_index('ix_loginfailure_key_at')
        batch_op.drop_index(batch_op.f('ix_loginfailure_at'))

    op.drop_table('loginfailure')
