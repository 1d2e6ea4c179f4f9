"""Annotations record their gold score and the worker page's telemetry.

A task whose payload holds a gold answer (``workbench.study.gold``) scores each result stored for it:
``gold_score`` in [0, 1] (the mean of its fields' scores) and ``gold_passed`` (every field within its
tolerance). Both are NULL for an annotation of a task that is not gold, and for those stored before
this version (scoring them later is a rerun of the scorer, not a schema change). ``telemetry`` is what
the worker page measured while the task was open (``workbench.study.telemetry``: times, counts and
lengths, never content), NULL where no page sent any.

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# The store's JSON as migration 0002 spells it (a migration does not import the models' types, which may change).
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('annotations', sa.Column('gold_score', sa.Double(), nullable=True))
    op.add_column('annotations', sa.Column('gold_passed', sa.Boolean(), nullable=True))
    op.add_column('annotations', sa.Column('telemetry', JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('annotations') as batch:
        batch.drop_column('telemetry')
        batch.drop_column('gold_passed')
        batch.drop_column('gold_score')
