"""Annotations of gold tasks record their gold score.

A task whose payload holds a gold answer (``workbench.study.gold``) scores each result stored for it:
``gold_score`` in [0, 1] (the mean of its fields' scores) and ``gold_passed`` (every field within its
tolerance). Both are NULL for an annotation of a task that is not gold, and for those stored before
this version (scoring them later is a rerun of the scorer, not a schema change).

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('annotations', sa.Column('gold_score', sa.Double(), nullable=True))
    op.add_column('annotations', sa.Column('gold_passed', sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('annotations') as batch:
        batch.drop_column('gold_passed')
        batch.drop_column('gold_score')
