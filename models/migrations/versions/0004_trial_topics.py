"""trial topics and screening rows: what each trial is about and what the matcher reads of it

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add trial_topics and derived_versions, empty: models.topics.refresh_topics derives
    every trial's topics when the database is opened (the matcher reads every trial until
    then)."""
    op.create_table(
        "derived_versions",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_derived_versions")),
    )
    op.create_table(
        "trial_topics",
        sa.Column("trial_id", sa.String(length=40), nullable=False),
        sa.Column("topic", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["trial_id"],
            ["trials.trial_id"],
            name=op.f("fk_trial_topics_trial_id_trials"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("trial_id", "topic", name=op.f("pk_trial_topics")),
    )
    op.create_index(
        "ix_trial_topics_topic_trial_id", "trial_topics", ["topic", "trial_id"], unique=False
    )
    op.create_table(
        "trial_screening",
        sa.Column("trial_id", sa.String(length=40), nullable=False),
        sa.Column("overall_status", sa.String(length=500), nullable=True),
        sa.Column("minimum_age", sa.String(length=500), nullable=True),
        sa.Column("maximum_age", sa.String(length=500), nullable=True),
        sa.Column("sex", sa.String(length=500), nullable=True),
        sa.Column("last_update", sa.String(length=500), nullable=True),
        sa.Column("record_version", sa.String(length=500), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["trial_id"],
            ["trials.trial_id"],
            name=op.f("fk_trial_screening_trial_id_trials"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("trial_id", name=op.f("pk_trial_screening")),
        sqlite_with_rowid=False,
    )
    # Plain column copies, so the trials stored before get theirs here (topics need the
    # vocabulary, which only the app has: they are derived when the database is opened).
    op.execute(
        "INSERT INTO trial_screening (trial_id, overall_status, minimum_age, maximum_age, sex,"
        " last_update, record_version, title)"
        " SELECT trial_id, overall_status, minimum_age, maximum_age, sex, last_update,"
        " record_version, coalesce(nullif(brief_title, ''), official_title) FROM trials"
    )


def downgrade() -> None:
    """Drop the screening rows, the topics and the versions of derived data."""
    op.drop_table("trial_screening")
    op.drop_index("ix_trial_topics_topic_trial_id", table_name="trial_topics")
    op.drop_table("trial_topics")
    op.drop_table("derived_versions")
