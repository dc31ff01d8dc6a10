"""indexes for the whole-school analysis and the retention review at district scale

Revision ID: a7c4e2f19b35
Revises: e7b3a1c5d9f2
Create Date: 2026-12-01 01:30:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a7c4e2f19b35'
down_revision = 'e7b3a1c5d9f2'
branch_labels = None
depends_on = None

OLD_KIND_STATUS_END = ["kind_id", "status", "retention_end"]
KIND_STATUS_END = OLD_KIND_STATUS_END + ["annulled", "on_hold", "student_id", "created_on", "event_on", "closed_on"]


def upgrade():
    # The subjects' current-mark averages of a period, school-wide: read from the index alone.
    op.create_index("ix_mark_kind_date_subject", "mark", ["kind", "marked_on", "subject_id", "value", "weight"])
    # The review's groups of expired carriers, read from the index alone; the list of carriers on hold.
    op.drop_index("ix_carrier_kind_status_end", table_name="carrier")
    op.create_index("ix_carrier_kind_status_end", "carrier", KIND_STATUS_END)
    op.create_index("ix_carrier_on_hold_id", "carrier", ["on_hold", "id"])


def downgrade():
    op.drop_index("ix_carrier_on_hold_id", table_name="carrier")
    op.drop_index("ix_carrier_kind_status_end", table_name="carrier")
    op.create_index("ix_carrier_kind_status_end", "carrier", OLD_KIND_STATUS_END)
    op.drop_index("ix_mark_kind_date_subject", table_name="mark")
