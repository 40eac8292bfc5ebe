"""compiled criteria: shared rule atoms, each stored set's program, a screening index

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add criteria_atoms, criteria_programs (empty: sets stored before are compiled by
    models.compiled_store.compile_stored_sets or, until then, at match time) and the covering
    index the matcher reads every trial's screening columns through."""
    op.create_table(
        "criteria_atoms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_criteria_atoms")),
        sa.UniqueConstraint("digest", name=op.f("uq_criteria_atoms_digest")),
    )
    op.create_table(
        "criteria_programs",
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("program", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["set_id"],
            ["criteria_sets.id"],
            name=op.f("fk_criteria_programs_set_id_criteria_sets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("set_id", name=op.f("pk_criteria_programs")),
    )
    op.create_index(
        op.f("ix_criteria_programs_trial_id"), "criteria_programs", ["trial_id"], unique=False
    )
    op.create_index(
        "ix_trials_screening",
        "trials",
        [
            "trial_id",
            "overall_status",
            "minimum_age",
            "maximum_age",
            "sex",
            "last_update",
            "record_version",
        ],
        unique=False,
    )


def downgrade() -> None:
    """Drop the index, the programs and the atoms."""
    op.drop_index("ix_trials_screening", table_name="trials")
    op.drop_index(op.f("ix_criteria_programs_trial_id"), table_name="criteria_programs")
    op.drop_table("criteria_programs")
    op.drop_table("criteria_atoms")
