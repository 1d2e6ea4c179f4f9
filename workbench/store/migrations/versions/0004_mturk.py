"""MTurk: qualification grants (who holds which qualification, granted or revoked).

Revision ID: 0004
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('qualification_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('qualification_type_pk', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.String(length=128), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['qualification_type_pk'], ['qualification_types.id'],
                            name=op.f('fk_qualification_grants_qualification_type_pk_qualification_types'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qualification_grants')),
    sa.UniqueConstraint('qualification_type_pk', 'worker_id',
                        name=op.f('uq_qualification_grants_qualification_type_pk_worker_id'))
    )
    with op.batch_alter_table('qualification_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qualification_grants_worker_id'), ['worker_id'], unique=False)


def downgrade() -> None:
    op.drop_table('qualification_grants')
