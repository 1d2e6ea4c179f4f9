"""One word for the framed work mode: annotations stored with mode "external-question" say "external".

The work modes are ``external`` (the worker page inside the platform's frame) and
``link-out`` (a link out, a completion code back), as ``WorkSpec.mode`` has always named
them; the worker page wrote "external-question" into ``raw_payload.mode`` until now.

Revision ID: 0008
Revises: 0007
"""
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def _rename(old: str, new: str) -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(f"""UPDATE annotations SET raw_payload = jsonb_set(raw_payload, '{{mode}}', '"{new}"')
                       WHERE raw_payload->>'mode' = '{old}'""")
    else:
        op.execute(f"""UPDATE annotations SET raw_payload = json_set(raw_payload, '$.mode', '{new}')
                       WHERE json_extract(raw_payload, '$.mode') = '{old}'""")


def upgrade() -> None:
    _rename("external-question", "external")


def downgrade() -> None:
    _rename("external", "external-question")
