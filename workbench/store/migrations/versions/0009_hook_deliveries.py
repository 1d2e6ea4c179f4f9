"""Hook deliveries get a table of their own, keyed by (provider, event_id).

Until now a hook event was marked applied by an Event row of type ``<provider>.hook`` with the
event id inside its JSON payload, and de-duplication searched that payload with no index; two
concurrent deliveries of one event could both find nothing and both apply it. The unique key
of ``hook_deliveries`` is the claim: the first delivery inserts it, a second finds it taken.
The event ids already recorded in Event rows are copied over, so an event applied before the
upgrade is still recognised.

Revision ID: 0009
Revises: 0008
"""
import json
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    deliveries = op.create_table('hook_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('event_id', sa.String(length=128), nullable=False),
    sa.Column('event_type', sa.String(length=128), nullable=False),
    sa.Column('resource_id', sa.String(length=128), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hook_deliveries')),
    sa.UniqueConstraint('provider', 'event_id', name=op.f('uq_hook_deliveries_provider_event_id'))
    )
    rows = op.get_bind().execute(sa.text("SELECT type, ts, payload FROM events WHERE type LIKE '%.hook' ORDER BY id"))
    seen: dict[tuple[str, str], dict] = {}
    for kind, ts, payload in rows:
        # JSON comes back parsed from PostgreSQL's jsonb, as text from SQLite
        data = json.loads(payload) if isinstance(payload, str) else (payload or {})
        event_id = str(data.get("event_id") or "")[:128]
        ts = datetime.fromisoformat(ts) if isinstance(ts, str) else ts  # SQLite hands back its text
        provider = kind[:-len(".hook")][:32]
        if event_id and (provider, event_id) not in seen:
            seen[(provider, event_id)] = {
                "provider": provider, "event_id": event_id, "event_type": str(data.get("event_type") or "")[:128],
                "resource_id": str(data.get("resource_id") or "")[:128],
                "status": str(data.get("status") or "applied")[:16], "claimed_at": ts, "done_at": ts}
    if seen:
        op.bulk_insert(deliveries, list(seen.values()))


def downgrade() -> None:
    op.drop_table('hook_deliveries')
