"""indexes for the matcher's change check: trials.imported_at, criteria_sets.updated_at

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Index the two timestamps models.operations.database_stamp reads the maximum of."""
    op.create_index(op.f("ix_trials_imported_at"), "trials", ["imported_at"], unique=False)
    op.create_index(
        op.f("ix_criteria_sets_updated_at"), "criteria_sets", ["updated_at"], unique=False
    )


def downgrade() -> None:
    """Drop the two indexes."""
    op.drop_index(op.f("ix_criteria_sets_updated_at"), table_name="criteria_sets")
    op.drop_index(op.f("ix_trials_imported_at"), table_name="trials")
