"""contact email opt-out

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24

Unsubscribing used to clear Contact.email and park the address in KeyValue
`email-unsubscribed:<id>`, which the next plan load undid (the plan file still lists it). Now the
address stays and `email_opt_out_at` says to stop; parked addresses are moved back.
"""
import json
from datetime import datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

PARKED = "email-unsubscribed:"


def upgrade() -> None:
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_opt_out_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    conn = op.get_bind()
    contact, kv = sa.table('contact', sa.column('id', sa.Integer), sa.column('email', sa.String),
                           sa.column('email_opt_out_at', sa.DateTime)), sa.table('keyvalue', sa.column('key', sa.String),
                                                                                 sa.column('value', sa.Text))
    for key, value in conn.execute(sa.select(kv.c.key, kv.c.value).where(kv.c.key.startswith(PARKED))).all():
        parked = json.loads(value)
        contact_id = int(key.removeprefix(PARKED))
        conn.execute(contact.update().where(contact.c.id == contact_id)
                     .values(email=sa.func.coalesce(contact.c.email, parked["email"]),
                             email_opt_out_at=datetime.fromisoformat(parked["at"])))
        conn.execute(kv.delete().where(kv.c.key == key))


def downgrade() -> None:
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_column('email_opt_out_at')
