"""contact addresses in one table

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10

A contact's addresses move from the columns Contact.email (+ email_opt_out_at) and
Contact.telegram_chat_id to rows of `contactaddress` (contact, channel, address, state, reason), so
a new channel needs no new column. Every email becomes an `email` row, `opted_out` (at
email_opt_out_at) when it was unsubscribed, else `verified`; every chat id a `telegram` row. The
downgrade carries them back (an opted-out address keeps its time; a disabled chat, which the old
schema recorded by clearing the column, stays cleared; other channels' rows have no column to go to).
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

OPTED_OUT_REASON = "unsubscribed by link"


def _tables() -> tuple[sa.Table, sa.Table]:
    contact = sa.table('contact', sa.column('id', sa.Integer), sa.column('email', sa.String),
                       sa.column('email_opt_out_at', sqlmodel.sql.sqltypes.UTCDateTime),
                       sa.column('telegram_chat_id', sa.BigInteger),
                       sa.column('created_at', sqlmodel.sql.sqltypes.UTCDateTime))
    address = sa.table('contactaddress', sa.column('contact_id', sa.Integer), sa.column('channel', sa.String),
                       sa.column('address', sa.String), sa.column('state', sa.String),
                       sa.column('reason', sa.String),
                       sa.column('created_at', sqlmodel.sql.sqltypes.UTCDateTime),
                       sa.column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime))
    return contact, address


def upgrade() -> None:
    op.create_table('contactaddress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('contact_id', 'channel', name='uq_contactaddress_contact_channel')
    )
    with op.batch_alter_table('contactaddress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contactaddress_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index('ix_contactaddress_channel_address', ['channel', 'address'], unique=False)

    contact, address = _tables()
    columns = ['contact_id', 'channel', 'address', 'state', 'reason', 'created_at', 'updated_at']
    opted_out = contact.c.email_opt_out_at.is_not(None)
    op.execute(address.insert().from_select(columns, sa.select(
        contact.c.id, sa.literal('email'), contact.c.email,
        sa.case((opted_out, sa.literal('opted_out')), else_=sa.literal('verified')),
        sa.case((opted_out, sa.literal(OPTED_OUT_REASON)), else_=sa.null()),
        contact.c.created_at, sa.func.coalesce(contact.c.email_opt_out_at, contact.c.created_at),
    ).where(contact.c.email.is_not(None))))
    op.execute(address.insert().from_select(columns, sa.select(
        contact.c.id, sa.literal('telegram'), sa.cast(contact.c.telegram_chat_id, sa.String),
        sa.literal('verified'), sa.null(), contact.c.created_at, contact.c.created_at,
    ).where(contact.c.telegram_chat_id.is_not(None))))

    # Plain ALTER TABLE (no copy of the table on SQLite: contactaddress rows now refer to it)
    with op.batch_alter_table('contact', schema=None, recreate='never') as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_telegram_chat_id'))
        batch_op.drop_column('email_opt_out_at')
        batch_op.drop_column('telegram_chat_id')
        batch_op.drop_column('email')


def downgrade() -> None:
    with op.batch_alter_table('contact', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True))
        batch_op.add_column(sa.Column('telegram_chat_id', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('email_opt_out_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_contact_telegram_chat_id'), ['telegram_chat_id'], unique=False)

    contact, address = _tables()

    def of(channel: str, value: sa.ColumnElement, *states: str) -> sa.ScalarSelect:
        return (sa.select(value).where(address.c.contact_id == contact.c.id, address.c.channel == channel,
                                       address.c.state.in_(states)).scalar_subquery())

    op.execute(contact.update().values(
        email=of('email', address.c.address, 'verified', 'opted_out', 'disabled'),
        email_opt_out_at=of('email', address.c.updated_at, 'opted_out'),
        telegram_chat_id=of('telegram', sa.cast(address.c.address, sa.BigInteger), 'verified')))

    with op.batch_alter_table('contactaddress', schema=None) as batch_op:
        batch_op.drop_index('ix_contactaddress_channel_address')
        batch_op.drop_index(batch_op.f('ix_contactaddress_contact_id'))
    op.drop_table('contactaddress')
