"""group robots and shared send windows

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04

`robot`: a department's WeCom / DingTalk / Feishu group robot or signed webhook, with its sealed
URL and secret, @-mentions, keyword, and whether it replaces the department's contacts; each has
a contact row (role "robot") that carries its deliveries. `sendwindow`: the recent posts to each
rate-limited recipient, shared by every instance so a robot's rate holds for the deployment.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('robot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('url_sealed', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('secret_sealed', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('mentions', sa.JSON(), nullable=False),
    sa.Column('keyword', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('instead', sa.Boolean(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('contact_id')
    )
    with op.batch_alter_table('robot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_robot_department_id'), ['department_id'], unique=False)

    op.create_table('sendwindow',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('sent', sa.JSON(), nullable=False),
    sa.Column('blocked_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )


def downgrade() -> None:
    op.drop_table('sendwindow')
    with op.batch_alter_table('robot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_robot_department_id'))
    op.drop_table('robot')
