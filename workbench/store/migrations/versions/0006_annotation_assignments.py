"""Annotations stored by the worker page before they were joined to their assignment are joined now.

From this version on, a submission records or links its Assignment row as it arrives; this
backfills the annotations that arrived earlier and whose assignment a sync has since
recorded (every assignment so far is an MTurk one, whose ids are unique).

Revision ID: 0006
Revises: 0005
"""
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


# The assignment of the annotation's own task (or of a link-out HIT, which names none); one for another task
# is a conflict the store keeps apart, as it does from now on.
_SAME = ("a.provider = 'mturk' AND a.assignment_id = annotations.submission_id"
         " AND (a.task_id IS NULL OR a.task_id = annotations.task_id)")


def upgrade() -> None:
    op.execute(f"""
        UPDATE annotations SET assignment_pk = (SELECT MIN(a.id) FROM assignments a WHERE {_SAME})
        WHERE assignment_pk IS NULL AND EXISTS (SELECT 1 FROM assignments a WHERE {_SAME})
    """)


def downgrade() -> None:
    # The links are facts about the data, not schema: nothing to undo.
    pass
