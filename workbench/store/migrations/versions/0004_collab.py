"""Collaboration studies: studies, live sessions, participants (messages and actions are Events).

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table('collab_studies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('paradigm', sa.String(length=32), nullable=False),
    sa.Column('config', JSON, nullable=False),
    sa.Column('conditions', JSON, nullable=False),
    sa.Column('seed', sa.Integer(), nullable=False),
    sa.Column('assigned', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_collab_studies_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collab_studies')),
    sa.UniqueConstraint('slug', name=op.f('uq_collab_studies_slug'))
    )
    with op.batch_alter_table('collab_studies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collab_studies_project_id'), ['project_id'], unique=False)

    op.create_table('collab_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('condition', JSON, nullable=False),
    sa.Column('condition_index', sa.Integer(), nullable=False),
    sa.Column('paradigm', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('state', JSON, nullable=False),
    sa.Column('outcome', JSON, nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=32), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['study_id'], ['collab_studies.id'], name=op.f('fk_collab_sessions_study_id_collab_studies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collab_sessions'))
    )
    with op.batch_alter_table('collab_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collab_sessions_study_id'), ['study_id', 'status'], unique=False)

    op.create_table('collab_participants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=True),
    sa.Column('worker_id', sa.String(length=128), nullable=True),
    sa.Column('assignment_id', sa.String(length=128), nullable=True),
    sa.Column('hit_id', sa.String(length=128), nullable=False),
    sa.Column('persona', sa.Text(), nullable=False),
    sa.Column('backend', sa.String(length=32), nullable=False),
    sa.Column('model', sa.String(length=128), nullable=False),
    sa.Column('prompts', JSON, nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('connection', sa.String(length=16), nullable=False),
    sa.Column('last_seen', sa.DateTime(timezone=True), nullable=True),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('left_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('partial_pay', sa.Boolean(), nullable=False),
    sa.Column('completion_code', sa.String(length=64), nullable=True),
    sa.Column('payload', JSON, nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['collab_sessions.id'], name=op.f('fk_collab_participants_session_id_collab_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collab_participants')),
    sa.UniqueConstraint('provider', 'assignment_id', name=op.f('uq_collab_participants_provider_assignment_id')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_collab_participants_token_hash'))
    )
    with op.batch_alter_table('collab_participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collab_participants_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_collab_participants_worker_id'), ['worker_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('collab_participants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collab_participants_worker_id'))
        batch_op.drop_index(batch_op.f('ix_collab_participants_session_id'))

    op.drop_table('collab_participants')
    with op.batch_alter_table('collab_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collab_sessions_study_id'))

    op.drop_table('collab_sessions')
    with op.batch_alter_table('collab_studies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collab_studies_project_id'))

    op.drop_table('collab_studies')
