"""initial schema: trials, criteria sets, referral log

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-23

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('referrals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('trial_ids', sa.JSON(), nullable=False),
    sa.Column('patient_identifier', sa.String(length=500), nullable=False),
    sa.Column('physician', sa.String(length=500), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('file_name', sa.String(length=500), nullable=True),
    sa.CheckConstraint("kind IN ('export', 'print')", name=op.f('ck_referrals_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals'))
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referrals_created_at'), ['created_at'], unique=False)

    op.create_table('trials',
    sa.Column('trial_id', sa.String(length=40), nullable=False),
    sa.Column('nct_id', sa.String(length=20), nullable=True),
    sa.Column('org_study_id', sa.String(length=500), nullable=True),
    sa.Column('brief_title', sa.Text(), nullable=True),
    sa.Column('official_title', sa.Text(), nullable=True),
    sa.Column('acronym', sa.String(length=500), nullable=True),
    sa.Column('brief_summary', sa.Text(), nullable=True),
    sa.Column('detailed_description', sa.Text(), nullable=True),
    sa.Column('overall_status', sa.String(length=500), nullable=True),
    sa.Column('phases', sa.JSON(), nullable=False),
    sa.Column('study_type', sa.String(length=500), nullable=True),
    sa.Column('enrollment_count', sa.Integer(), nullable=True),
    sa.Column('enrollment_type', sa.String(length=500), nullable=True),
    sa.Column('start_date', sa.String(length=500), nullable=True),
    sa.Column('primary_completion_date', sa.String(length=500), nullable=True),
    sa.Column('completion_date', sa.String(length=500), nullable=True),
    sa.Column('first_posted', sa.String(length=500), nullable=True),
    sa.Column('last_update', sa.String(length=500), nullable=True),
    sa.Column('record_version', sa.String(length=500), nullable=True),
    sa.Column('lead_sponsor_name', sa.String(length=500), nullable=True),
    sa.Column('lead_sponsor_class', sa.String(length=500), nullable=True),
    sa.Column('eligibility_criteria', sa.Text(), nullable=True),
    sa.Column('eligibility_criteria_source', sa.Text(), nullable=True),
    sa.Column('minimum_age', sa.String(length=500), nullable=True),
    sa.Column('minimum_age_days', sa.Integer(), nullable=True),
    sa.Column('maximum_age', sa.String(length=500), nullable=True),
    sa.Column('maximum_age_days', sa.Integer(), nullable=True),
    sa.Column('sex', sa.String(length=500), nullable=True),
    sa.Column('healthy_volunteers', sa.Boolean(), nullable=True),
    sa.Column('source_json', sa.Text(), nullable=False),
    sa.Column('source_file', sa.String(length=500), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('trialmatch_source', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('trial_id', name=op.f('pk_trials')),
    sa.UniqueConstraint('nct_id', name=op.f('uq_trials_nct_id'))
    )
    op.create_table('criteria_sets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trial_id', sa.String(length=40), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('criteria_json', sa.Text(), nullable=False),
    sa.Column('verified', sa.Boolean(), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("source IN ('curated', 'automatic')", name=op.f('ck_criteria_sets_source')),
    sa.ForeignKeyConstraint(['trial_id'], ['trials.trial_id'], name=op.f('fk_criteria_sets_trial_id_trials'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_criteria_sets')),
    sa.UniqueConstraint('trial_id', 'source', name='uq_criteria_sets_trial_id_source')
    )
    with op.batch_alter_table('criteria_sets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_criteria_sets_trial_id'), ['trial_id'], unique=False)

    op.create_table('trial_arms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trial_id', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=500), nullable=True),
    sa.Column('arm_type', sa.String(length=500), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('intervention_names', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['trial_id'], ['trials.trial_id'], name=op.f('fk_trial_arms_trial_id_trials'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trial_arms'))
    )
    with op.batch_alter_table('trial_arms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trial_arms_trial_id'), ['trial_id'], unique=False)

    op.create_table('trial_central_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trial_id', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=True),
    sa.Column('role', sa.String(length=500), nullable=True),
    sa.Column('phone', sa.String(length=500), nullable=True),
    sa.Column('phone_ext', sa.String(length=500), nullable=True),
    sa.Column('email', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['trial_id'], ['trials.trial_id'], name=op.f('fk_trial_central_contacts_trial_id_trials'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trial_central_contacts'))
    )
    with op.batch_alter_table('trial_central_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trial_central_contacts_trial_id'), ['trial_id'], unique=False)

    op.create_table('trial_collaborators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trial_id', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=True),
    sa.Column('sponsor_class', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['trial_id'], ['trials.trial_id'], name=op.f('fk_trial_collaborators_trial_id_trials'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trial_collaborators'))
    )
    with op.batch_alter_table('trial_collaborators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trial_collaborators_trial_id'), ['trial_id'], unique=False)

    op.create_table('trial_conditions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trial_id', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['trial_id'], ['trials.trial_id'], name=op.f('fk_trial_conditions_trial_id_trials'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trial_conditions'))
    )
    with op.batch_alter_table('trial_conditions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trial_conditions_trial_id'), ['trial_id'], unique=False)

    op.create_table('trial_interventions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trial_id', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('intervention_type', sa.String(length=500), nullable=True),
    sa.Column('name', sa.String(length=500), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('arm_group_labels', sa.JSON(), nullable=False),
    sa.Column('other_names', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['trial_id'], ['trials.trial_id'], name=op.f('fk_trial_interventions_trial_id_trials'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trial_interventions'))
    )
    with op.batch_alter_table('trial_interventions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trial_interventions_trial_id'), ['trial_id'], unique=False)

    op.create_table('trial_keywords',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trial_id', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('keyword', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['trial_id'], ['trials.trial_id'], name=op.f('fk_trial_keywords_trial_id_trials'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trial_keywords'))
    )
    with op.batch_alter_table('trial_keywords', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trial_keywords_trial_id'), ['trial_id'], unique=False)

    op.create_table('trial_officials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trial_id', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=True),
    sa.Column('role', sa.String(length=500), nullable=True),
    sa.Column('affiliation', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['trial_id'], ['trials.trial_id'], name=op.f('fk_trial_officials_trial_id_trials'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trial_officials'))
    )
    with op.batch_alter_table('trial_officials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trial_officials_trial_id'), ['trial_id'], unique=False)

    op.create_table('trial_sites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trial_id', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('facility', sa.String(length=500), nullable=True),
    sa.Column('city', sa.String(length=500), nullable=True),
    sa.Column('state', sa.String(length=500), nullable=True),
    sa.Column('zip', sa.String(length=500), nullable=True),
    sa.Column('country', sa.String(length=500), nullable=True),
    sa.Column('status', sa.String(length=500), nullable=True),
    sa.Column('latitude', sa.Double(), nullable=True),
    sa.Column('longitude', sa.Double(), nullable=True),
    sa.ForeignKeyConstraint(['trial_id'], ['trials.trial_id'], name=op.f('fk_trial_sites_trial_id_trials'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trial_sites'))
    )
    with op.batch_alter_table('trial_sites', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trial_sites_trial_id'), ['trial_id'], unique=False)

    op.create_table('trial_site_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=True),
    sa.Column('role', sa.String(length=500), nullable=True),
    sa.Column('phone', sa.String(length=500), nullable=True),
    sa.Column('phone_ext', sa.String(length=500), nullable=True),
    sa.Column('email', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['trial_sites.id'], name=op.f('fk_trial_site_contacts_site_id_trial_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trial_site_contacts'))
    )
    with op.batch_alter_table('trial_site_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trial_site_contacts_site_id'), ['site_id'], unique=False)



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('trial_site_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trial_site_contacts_site_id'))

    op.drop_table('trial_site_contacts')
    with op.batch_alter_table('trial_sites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trial_sites_trial_id'))

    op.drop_table('trial_sites')
    with op.batch_alter_table('trial_officials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trial_officials_trial_id'))

    op.drop_table('trial_officials')
    with op.batch_alter_table('trial_keywords', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trial_keywords_trial_id'))

    op.drop_table('trial_keywords')
    with op.batch_alter_table('trial_interventions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trial_interventions_trial_id'))

    op.drop_table('trial_interventions')
    with op.batch_alter_table('trial_conditions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trial_conditions_trial_id'))

    op.drop_table('trial_conditions')
    with op.batch_alter_table('trial_collaborators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trial_collaborators_trial_id'))

    op.drop_table('trial_collaborators')
    with op.batch_alter_table('trial_central_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trial_central_contacts_trial_id'))

    op.drop_table('trial_central_contacts')
    with op.batch_alter_table('trial_arms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trial_arms_trial_id'))

    op.drop_table('trial_arms')
    with op.batch_alter_table('criteria_sets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_criteria_sets_trial_id'))

    op.drop_table('criteria_sets')
    op.drop_table('trials')
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referrals_created_at'))

    op.drop_table('referrals')
