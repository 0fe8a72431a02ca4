"""attempt time index

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24

/metrics reads the last day's successful attempts for the send-delay histogram at every scrape;
without this index that is a scan of every attempt ever made.
"""
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_attempt_at', 'attempt', ['at'])


def downgrade() -> None:
    op.drop_index('ix_attempt_at', table_name='attempt')
