"""What the PI's dashboard shows, as pandas frames: progress, submissions and cost over time, workers.

Only reads the store. Money follows the provider's fees (``providers.fees(name)``): a reward
counts when its assignment is approved, at the approval time. Assignments and money are
those of one provider and environment (by default the study's provider, ``WORKBENCH_PROVIDER``,
else MTurk, in its configured environment, e.g. ``MTURK_ENVIRONMENT``), as in the overview
panel: a sandbox pilot costs nothing and is no production work. ``cost_by_provider`` puts the
providers a project used side by side, and ``words(provider)`` gives the headings' words (a
Prolific study's "submissions" by "participants"), so the dashboard never names a provider.

Times are the provider's own (``Assignment.accept_time``, ``submit_time``, ``approval_time``,
a bonus's ``paid_at``), never the time a sync ran. Time on task is measured only where an
assignment has both an accept and a later submit time: a submit at or before its accept
(a clock that stood still, as the local simulator's virtual clock does until advanced, or two
clocks that disagree) measures nothing and is counted as untimed, not drawn at 0 s.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Integer, func, select

from workbench import config
from workbench.crowd import providers
from workbench.crowd.providers import Words
from workbench.study import projects
from workbench.crowd.review import approval_stats
from workbench.store import Store
from workbench.store.models import HIT, Annotation, Assignment, Bonus, Task


def words(provider: str | None = None) -> Words:
    """The words of ``provider`` (default: ``WORKBENCH_PROVIDER``, else MTurk) for the dashboard's headings."""
    return providers.words(provider or config.provider())


def progress(store: Store, project: str) -> dict[str, Any]:
    """Tasks and assignments by status (``projects.stats``)."""
    with store.session() as s:
        return projects.stats(s, project)


def assignments_frame(store: Store, project: str, environment: str | None = None, *,
                      provider: str | None = None) -> pd.DataFrame:
    """One row per assignment of the project in ``environment``: worker, status, times, reward, time on task
    in seconds."""
    provider = provider or config.provider()
    environment = providers.environment(provider, environment)
    with store.session() as s:
        project_id = projects.get(s, project).id
        rows = s.execute(
            select(Assignment.assignment_id, Assignment.worker_id, Assignment.status, Assignment.accept_time,
                   Assignment.submit_time, Assignment.approval_time, HIT.hit_id, HIT.reward_cents,
                   HIT.max_assignments, HIT.payload)
            .join(HIT, HIT.id == Assignment.hit_pk)
            .where(HIT.provider == provider, HIT.project_id == project_id, HIT.environment == environment)
            .order_by(Assignment.id)).all()
    frame = pd.DataFrame(rows, columns=["assignment_id", "worker_id", "status", "accept_time", "submit_time",
                                        "approval_time", "hit_id", "reward_cents", "max_assignments", "payload"])
    for column in ("accept_time", "submit_time", "approval_time"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    seconds = (frame["submit_time"] - frame["accept_time"]).dt.total_seconds()
    frame["seconds_on_task"] = seconds.where(seconds > 0)
    return frame


def submissions_over_time(frame: pd.DataFrame, freq: str = "h") -> pd.Series:
    """Submitted assignments per period."""
    times = frame["submit_time"].dropna()
    if times.empty:
        return pd.Series(dtype="int64", name="submissions")
    return times.dt.floor(freq).value_counts().sort_index().rename("submissions")


def cost_over_time(store: Store, project: str, frame: pd.DataFrame, environment: str | None = None, *,
                   provider: str | None = None) -> pd.Series:
    """Cumulative dollars spent (approved rewards and paid bonuses, with the provider's fees), to draw as a step line
    (``where="post"``); ``frame`` is ``assignments_frame`` of the same ``environment``. Empty if nothing was spent.

    The series starts at $0 when the work began (the first time anything happened: an accept, a submit, a
    payment), rises at the moment of each payment, and holds its total to the last time anything happened,
    so it spans the study's real dates however close together the payments are.
    """
    provider = provider or config.provider()
    fees = providers.fees(provider)
    approved = frame[frame["status"] == "approved"].dropna(subset=["approval_time"])
    spent = [r + fees.hit_fee(r, m, p) for r, m, p in zip(approved["reward_cents"], approved["max_assignments"],
                                                     approved["payload"])]
    events = list(zip(approved["approval_time"], spent))
    with store.session() as s:
        project_id = projects.get(s, project).id
        bonuses = s.execute(select(Bonus.paid_at, Bonus.amount_cents).join(Assignment, Assignment.id == Bonus.assignment_pk)
                            .join(HIT, HIT.id == Assignment.hit_pk)
                            .where(HIT.provider == provider, HIT.project_id == project_id,
                                   HIT.environment == providers.environment(provider, environment),
                                   Bonus.status == "paid")).all()
    events += [(pd.Timestamp(paid), amount + fees.bonus_fee(amount)) for paid, amount in bonuses if paid]
    if not events:
        return pd.Series(dtype="float64", name="dollars")
    paid = pd.Series([c / 100 for _, c in events], index=pd.DatetimeIndex([t for t, _ in events]))
    paid = paid.groupby(level=0).sum().sort_index().cumsum()
    moments = pd.concat([frame["accept_time"], frame["submit_time"], paid.index.to_series()]).dropna()
    steps = [paid]
    if moments.min() < paid.index[0]:
        steps.insert(0, pd.Series([0.0], index=pd.DatetimeIndex([moments.min()])))
    if moments.max() > paid.index[-1]:
        steps.append(pd.Series([paid.iloc[-1]], index=pd.DatetimeIndex([moments.max()])))
    return pd.concat(steps).rename("dollars")


COST_COLUMNS = ["provider", "platform", "environment", "rewards", "fees", "bonuses", "spent", "committed"]


def cost_by_provider(store: Store, project: str) -> pd.DataFrame:
    """Dollars per provider the project's work was offered on, each in its configured environment and by its
    own fees (``providers.fees(name).cost``): rewards, fees, bonuses, spent (approved) and committed (submitted)."""
    rows = []
    with store.session() as s:
        project_id = projects.get(s, project).id
        used = s.scalars(select(HIT.provider).distinct().where(HIT.project_id == project_id)
                         .order_by(HIT.provider)).all()
        for name in used:
            environment = providers.environment(name)
            cost = providers.fees(name).cost(s, environment, project=project)
            rows.append({"provider": name, "platform": providers.words(name).platform, "environment": environment,
                         **{key: cost[f"{key}_cents"] / 100
                            for key in ("rewards", "fees", "bonuses", "spent", "committed")}})
    return pd.DataFrame(rows, columns=COST_COLUMNS)


def date_limits(*indexes: pd.DatetimeIndex, least: pd.Timedelta = pd.Timedelta(minutes=10),
                margin: pd.Timedelta = pd.Timedelta(0)) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The x-axis limits that show ``indexes`` over their real dates: their span, widened about its middle to
    at least ``least`` (a plotting library widens a single instant to years), plus ``margin`` each side."""
    times = [t for index in indexes for t in index]
    if not times:
        raise ValueError("no times to show")
    first, last = min(times), max(times)
    if last - first < least:
        middle = first + (last - first) / 2
        first, last = middle - least / 2, middle + least / 2
    return first - margin, last + margin


WORKER_COLUMNS = ["assignments", "approved", "rejected", "approval_rate", "timed", "median_seconds",
                  "hourly_pay_cents"]


def worker_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Per worker: assignments, approval rate (of the reviewed), how many have a measured time on task
    (``timed``), the median of those in seconds, and the effective hourly pay of those: their rewards over their
    time, in cents an hour (NaN when none is timed), to hold against a minimum wage."""
    if frame.empty:
        return pd.DataFrame(columns=WORKER_COLUMNS)
    grouped = frame.groupby("worker_id")
    table = pd.DataFrame({
        "assignments": grouped.size(),
        "timed": grouped["seconds_on_task"].count(),
        "median_seconds": grouped["seconds_on_task"].median(),
    })
    timed = frame[frame["seconds_on_task"].notna()].groupby("worker_id")
    table["hourly_pay_cents"] = (timed["reward_cents"].sum() * 3600 / timed["seconds_on_task"].sum()).reindex(
        table.index)
    stats = grouped["status"].apply(lambda s: pd.Series(approval_stats(s))).unstack()
    table["approved"], table["rejected"] = stats["approved"].astype(int), stats["rejected"].astype(int)
    table["approval_rate"] = stats["approval_rate"].astype(float)
    return table[WORKER_COLUMNS].sort_values("assignments", ascending=False)


GOLD_COLUMNS = ["gold_items", "gold_correct", "gold_accuracy", "mean_gold_score"]


def gold_table(store: Store, project: str) -> pd.DataFrame:
    """Per worker (the annotation's actor): how many gold items they answered, how many passed, the accuracy (of
    the answered, with its count beside it) and their mean gold score; workers who met no gold item are absent."""
    with store.session() as s:
        project_id = projects.get(s, project).id
        rows = s.execute(
            select(Annotation.actor, func.count(), func.sum(func.cast(Annotation.gold_passed, Integer)),
                   func.avg(Annotation.gold_score))
            .join(Task, Task.id == Annotation.task_id)
            .where(Task.project_id == project_id, Annotation.gold_passed.is_not(None))
            .group_by(Annotation.actor)).all()
    table = pd.DataFrame(rows, columns=["worker_id", "gold_items", "gold_correct", "mean_gold_score"])
    table = table.set_index("worker_id")
    table["gold_correct"] = table["gold_correct"].astype(int)
    table["gold_accuracy"] = table["gold_correct"] / table["gold_items"]
    return table[GOLD_COLUMNS].sort_values(["gold_accuracy", "gold_items"], ascending=[True, False])
