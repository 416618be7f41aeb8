"""Each rule about checklist items is written twice, once for a loaded item and once as SQL for
counting over many schools (the hybrids in aiplan/models/checklist.py). The pages use the first,
the rollup and the exports the second: here every combination of the fields those rules read is
put into real rows, and both spellings must pick the same ones. A rule changed on one side only
makes a school's page and the ward's rollup disagree; this is where it shows."""

import itertools
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, update

from aiplan.extensions import db
from aiplan.models import ChecklistItem, ItemStatus, Verdict
from aiplan.models.checklist import DUE_SOON_DAYS

TODAY = date(2027, 3, 15)

# Instants around the Hà Nội day boundary (UTC+7): 16:59:59 UTC on the 14th is 23:59:59 there,
# 17:00 UTC is already the 15th.
COMPLETED = [
    None,
    datetime(2027, 3, 14, 16, 59, 59, tzinfo=UTC),
    datetime(2027, 3, 14, 17, 0, 0, tzinfo=UTC),
    datetime(2027, 3, 16, 3, 0, 0, tzinfo=UTC),
]
DUE = [
    TODAY - timedelta(days=1),
    TODAY,
    TODAY + timedelta(days=DUE_SOON_DAYS),
    TODAY + timedelta(days=DUE_SOON_DAYS + 1),
]
RESUBMITTED = [None, datetime(2027, 3, 10, 2, 0, tzinfo=UTC)]


def _states():
    for status, verdict, resubmitted, required, due, completed in itertools.product(
        ItemStatus, Verdict, RESUBMITTED, (True, False), DUE, COMPLETED
    ):
        yield dict(
            status=status,
            verdict=verdict,
            resubmitted_at=resubmitted,
            required=required,
            due_on=due,
            completed_at=completed,
        )


RULES = {
    "is_done": (lambda item: item.is_done, ChecklistItem.is_done),
    "is_late": (lambda item: item.is_late(TODAY), ChecklistItem.is_late(TODAY)),
    "is_due_soon": (lambda item: item.is_due_soon(TODAY), ChecklistItem.is_due_soon(TODAY)),
    "is_on_time": (lambda item: item.is_on_time, ChecklistItem.is_on_time),
    "is_verified": (lambda item: item.is_verified, ChecklistItem.is_verified),
    "awaiting_check": (lambda item: item.awaiting_check, ChecklistItem.awaiting_check),
    "awaiting_school": (lambda item: item.awaiting_school, ChecklistItem.awaiting_school),
}


def _in_chunks(ids, states):
    """Put the states into the rows, as many at a time as there are rows; yield each batch's ids."""
    for start in range(0, len(states), len(ids)):
        batch = states[start : start + len(ids)]
        for item_id, values in zip(ids, batch):
            # A bulk UPDATE: the ORM's version counter and the services' rules stay out of the way.
            db.session.execute(update(ChecklistItem).where(ChecklistItem.id == item_id).values(**values))
        db.session.commit()
        db.session.expire_all()
        yield ids[: len(batch)]


def test_the_python_and_sql_spellings_of_each_rule_pick_the_same_items(app):
    with app.app_context():
        ids = db.session.scalars(select(ChecklistItem.id).order_by(ChecklistItem.id)).all()
        chosen = dict.fromkeys(RULES, 0)
        for batch in _in_chunks(ids, list(_states())):
            items = db.session.scalars(select(ChecklistItem).where(ChecklistItem.id.in_(batch))).all()
            for rule, (in_python, in_sql) in RULES.items():
                by_python = {item.id for item in items if in_python(item)}
                by_sql = set(db.session.scalars(select(ChecklistItem.id).where(ChecklistItem.id.in_(batch), in_sql)))
                assert by_python == by_sql, f"{rule}: {sorted(by_python ^ by_sql)[:5]} disagree"
                chosen[rule] += len(by_python)
    # Every rule picked some items and left others: the combinations reach both answers.
    assert all(0 < count < len(list(_states())) for count in chosen.values()), chosen


def test_completion_counts_by_the_day_in_ha_noi(app):
    """Done at 23:59:59 Hà Nội time on the due date is on time; a second later is the next day."""
    yesterday = TODAY - timedelta(days=1)
    done = dict(status=ItemStatus.DONE, verdict=Verdict.UNCHECKED, resubmitted_at=None, required=True, due_on=yesterday)
    with app.app_context():
        ids = db.session.scalars(select(ChecklistItem.id).order_by(ChecklistItem.id).limit(2)).all()
        states = [dict(done, completed_at=COMPLETED[1]), dict(done, completed_at=COMPLETED[2])]
        (batch,) = _in_chunks(ids, states)
        on_time = set(
            db.session.scalars(select(ChecklistItem.id).where(ChecklistItem.id.in_(batch), ChecklistItem.is_on_time))
        )
        items = {i.id: i for i in db.session.scalars(select(ChecklistItem).where(ChecklistItem.id.in_(batch)))}
        assert on_time == {batch[0]}
        assert items[batch[0]].is_on_time and not items[batch[1]].is_on_time
