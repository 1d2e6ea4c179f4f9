"""Tasks remember the plugin version they were created with.

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('plugin_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_tasks_plugin_id_plugins'), 'plugins', ['plugin_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.create_index(batch_op.f('ix_tasks_plugin_id'), ['plugin_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tasks_plugin_id'))
        batch_op.drop_constraint(batch_op.f('fk_tasks_plugin_id_plugins'), type_='foreignkey')
        batch_op.drop_column('plugin_id')
