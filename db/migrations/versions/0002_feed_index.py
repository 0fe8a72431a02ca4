"""occurrence index for feed ETags

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24

A covering index for `scheduler.feeds.fingerprint`: a department's count, newest updated_at and
done_at come from the index alone, so a feed's 304 reads no table rows.
"""
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_occurrence_feed', 'occurrence', ['department_id', 'updated_at', 'done_at'])


def downgrade() -> None:
    op.drop_index('ix_occurrence_feed', table_name='occurrence')
