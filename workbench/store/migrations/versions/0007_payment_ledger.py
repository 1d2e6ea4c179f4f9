"""Bonuses become a payment ledger: each row is an intent keyed by an idempotency key.

A bonus is keyed by ``(provider, idempotency_key)``: the key is derived from (assignment,
amount, reason) unless the caller names one, so a retried bonus finds its row instead of
making a second. ``attempted_at`` says the platform was asked (a retry confirms against the
platform's own list before asking again), ``confirmed_at`` that the platform's list shows it,
``error`` the last refusal. Rows from before this version keep their tokens and get a key of
their own (``row-<id>``), so none of them can be matched by a new request.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bonuses") as batch:
        batch.add_column(sa.Column("idempotency_key", sa.String(128), nullable=True))
        batch.add_column(sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("error", sa.Text(), nullable=False, server_default=""))
    op.execute("UPDATE bonuses SET idempotency_key = 'row-' || CAST(id AS VARCHAR(20)) WHERE idempotency_key IS NULL")
    with op.batch_alter_table("bonuses") as batch:
        batch.alter_column("idempotency_key", existing_type=sa.String(128), nullable=False)
    op.create_index("uq_bonuses_provider_key", "bonuses", ["provider", "idempotency_key"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_bonuses_provider_key", table_name="bonuses")
    with op.batch_alter_table("bonuses") as batch:
        for name in ("error", "confirmed_at", "attempted_at", "idempotency_key"):
            batch.drop_column(name)
