"""compiled criteria: shared rule atoms and each stored set's compiled program

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
    """Add criteria_atoms and criteria_sets.compiled (empty: sets stored before are compiled
    by models.compiled_store.compile_stored_sets or, until then, at match time)."""
    op.create_table(
        "criteria_atoms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_criteria_atoms")),
        sa.UniqueConstraint("digest", name=op.f("uq_criteria_atoms_digest")),
    )
    with op.batch_alter_table("criteria_sets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("compiled", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop the compiled column and the atoms."""
    with op.batch_alter_table("criteria_sets", schema=None) as batch_op:
        batch_op.drop_column("compiled")
    op.drop_table("criteria_atoms")
