"""board indexes

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-10

The board counts and pages occurrences by status and due date (overdue, the next two weeks),
per department, duty or plan: one index holds every column those queries read, so a city's
year (1,000 departments, some 190,000 occurrences) is counted without reading its rows. The
help panel finds the requests for help and their resolutions by action.
"""
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_occurrence_status_due', 'occurrence', ['status', 'due', 'department_id', 'duty_id'])
    op.create_index('ix_answer_action', 'answer', ['action', 'occurrence_id'])


def downgrade() -> None:
    op.drop_index('ix_answer_action', table_name='answer')
    op.drop_index('ix_occurrence_status_due', table_name='occurrence')
