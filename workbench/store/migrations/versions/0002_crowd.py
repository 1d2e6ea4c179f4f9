"""Crowd tables: workers, HITs, assignments, bonuses, qualification types, link-out sessions, job runs.

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table('workers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('worker_id', sa.String(length=128), nullable=False),
    sa.Column('blocked', sa.Boolean(), nullable=False),
    sa.Column('block_reason', sa.Text(), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workers')),
    sa.UniqueConstraint('provider', 'worker_id', name=op.f('uq_workers_provider_worker_id'))
    )

    op.create_table('hits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('hit_id', sa.String(length=128), nullable=False),
    sa.Column('hit_type_id', sa.String(length=128), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('unique_request_token', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('reward_cents', sa.Integer(), nullable=False),
    sa.Column('max_assignments', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('payload', JSON, nullable=False),
    sa.Column('last_synced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_hits_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_hits_task_id_tasks'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hits')),
    sa.UniqueConstraint('provider', 'environment', 'hit_id', name=op.f('uq_hits_provider_environment_hit_id')),
    sa.UniqueConstraint('unique_request_token', name=op.f('uq_hits_unique_request_token'))
    )
    with op.batch_alter_table('hits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hits_project_id'), ['project_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_hits_task_id'), ['task_id'], unique=False)

    op.create_table('assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('assignment_id', sa.String(length=128), nullable=False),
    sa.Column('hit_pk', sa.Integer(), nullable=True),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('worker_id', sa.String(length=128), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('accept_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submit_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approval_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rejection_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('auto_approval_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answer_raw', sa.Text(), nullable=False),
    sa.Column('answer', JSON, nullable=False),
    sa.Column('feedback', sa.Text(), nullable=False),
    sa.Column('ingested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('payload', JSON, nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['hit_pk'], ['hits.id'], name=op.f('fk_assignments_hit_pk_hits'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_assignments_task_id_tasks'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignments')),
    sa.UniqueConstraint('provider', 'assignment_id', name=op.f('uq_assignments_provider_assignment_id'))
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignments_hit_pk'), ['hit_pk'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignments_status'), ['status', 'ingested_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignments_task_id'), ['task_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignments_worker_id'), ['worker_id'], unique=False)

    op.create_table('bonuses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('assignment_pk', sa.Integer(), nullable=True),
    sa.Column('worker_id', sa.String(length=128), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('unique_request_token', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignment_pk'], ['assignments.id'], name=op.f('fk_bonuses_assignment_pk_assignments'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bonuses')),
    sa.UniqueConstraint('unique_request_token', name=op.f('uq_bonuses_unique_request_token'))
    )
    with op.batch_alter_table('bonuses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bonuses_assignment_pk'), ['assignment_pk'], unique=False)
        batch_op.create_index(batch_op.f('ix_bonuses_worker_id'), ['worker_id'], unique=False)

    op.create_table('qualification_types',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('qualification_type_id', sa.String(length=128), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('payload', JSON, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qualification_types')),
    sa.UniqueConstraint('provider', 'environment', 'qualification_type_id', name=op.f('uq_qualification_types_provider_environment_qualification_type_id'))
    )

    op.create_table('worker_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('assignment_id', sa.String(length=128), nullable=False),
    sa.Column('worker_id', sa.String(length=128), nullable=False),
    sa.Column('hit_id', sa.String(length=128), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('task_ids', JSON, nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('completion_code', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('payload', JSON, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_worker_sessions_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_worker_sessions')),
    sa.UniqueConstraint('completion_code', name=op.f('uq_worker_sessions_completion_code')),
    sa.UniqueConstraint('provider', 'assignment_id', name=op.f('uq_worker_sessions_provider_assignment_id')),
    sa.UniqueConstraint('token', name=op.f('uq_worker_sessions_token'))
    )
    with op.batch_alter_table('worker_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_worker_sessions_worker_id'), ['worker_id'], unique=False)

    op.create_table('job_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('parameters', JSON, nullable=False),
    sa.Column('output_path', sa.Text(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_runs'))
    )
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_runs_job'), ['job', 'started_at'], unique=False)

    with op.batch_alter_table('annotations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assignment_pk', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_annotations_assignment_pk_assignments'), 'assignments', ['assignment_pk'], ['id'], ondelete='SET NULL')
        batch_op.create_index(batch_op.f('ix_annotations_assignment_pk'), ['assignment_pk'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('annotations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_annotations_assignment_pk'))
        batch_op.drop_constraint(batch_op.f('fk_annotations_assignment_pk_assignments'), type_='foreignkey')
        batch_op.drop_column('assignment_pk')
    op.drop_table('job_runs')
    op.drop_table('worker_sessions')
    op.drop_table('qualification_types')
    op.drop_table('bonuses')
    op.drop_table('assignments')
    op.drop_table('hits')
    op.drop_table('workers')
