"""The school year of each demo school and of the ward, planned as dated events and then run in
date order, so that every rule of the app holds at each step: an evidence item is marked done
only after its file is uploaded, a change after a verdict sends the item back to the
supervisors, a target follows the activities recorded so far.

Each school draws a profile — ahead, on track, behind, or not started — from its own seeded
random stream, and its events follow from it. Events after the "as of" day (today, or the end
of the school year if that came first) are left out.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import partial

from ..models import ChecklistItem, ItemKind, ItemStatus, School, User, Verdict
from ..timeutil import LOCAL_TZ
from . import actions, texts
from .actions import ActivityHolder, FileSpec, InspectionHolder, WardContext
from .activities import school_activities
from .names import person

PROFILES = ("ahead", "on_track", "behind", "idle")
WEIGHTS = {False: (25, 35, 25, 15), True: (50, 35, 15, 0)}  # pilot schools are chosen for being keen
P_DONE = {"ahead": 0.92, "on_track": 0.65, "behind": 0.3, "idle": 0.0}
P_STARTED = {"ahead": 0.9, "on_track": 0.8, "behind": 0.6, "idle": 0.0}  # of the items not done
P_LATE = {"ahead": 0.05, "on_track": 0.2, "behind": 0.55, "idle": 0.0}
P_INSPECTED = {"ahead": 0.8, "on_track": 0.7, "behind": 0.7, "idle": 0.5}
P_EVALUATION = {"ahead": (0.85, 0.15), "on_track": (0.5, 0.3), "behind": (0.1, 0.25), "idle": (0.0, 0.0)}
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


@dataclass(order=True)
class Step:
    when: datetime
    order: int
    run: Callable = field(compare=False)


class Timeline:
    """Events of one ward, run in date order (ties in the order they were planned)."""

    def __init__(self, ctx: WardContext, as_of: date):
        self.ctx, self.as_of = ctx, as_of
        self.steps: list[Step] = []

    def add(self, when: datetime, action: Callable, *args, **kwargs) -> bool:
        if when.astimezone(LOCAL_TZ).date() > self.as_of:
            return False
        self.steps.append(Step(when, len(self.steps), partial(action, self.ctx, when, *args, **kwargs)))
        return True

    def run(self) -> None:
        for step in sorted(self.steps):
            step.run()


def moment(day: date, rng: random.Random, first_hour: int = 7, last_hour: int = 16) -> datetime:
    """A time in office hours on `day` (a weekend moves to the Friday before), in UTC."""
    day -= max(0, day.weekday() - 4) * DAY
    local = datetime.combine(day, time(rng.randint(first_hour, last_hour), rng.randrange(0, 60, 5)), LOCAL_TZ)
    return local.astimezone(UTC)


@dataclass
class ItemPlan:
    item: ChecklistItem
    start: datetime | None = None  # set in progress
    done: datetime | None = None  # set done
    note: str | None = None
    changes: list[datetime] = field(default_factory=list)  # uploads and status changes, for re-verification


class SchoolYearPlanner:
    """Plans the events of one school (`plan_school`) or of the ward's own items (`plan_ward`)."""

    def __init__(self, timeline: Timeline, seed: int, files_per_school: int, weights: tuple[int, ...] | None = None):
        self.tl, self.ctx, self.seed, self.files_per_school = timeline, timeline.ctx, seed, files_per_school
        self.weights = weights or WEIGHTS[False]  # of the profiles of the ward's schools (pilots keep theirs)
        plan = self.ctx.plan
        self.year = plan.school_year
        self.milestones = {m.id: m for m in plan.milestones}
        self.evidence = {e.id: e for t in plan.targets for e in t.evidence}
        self.forms = {f.code: f for f in plan.delivery_forms}
        self.areas = {a.code: a for a in plan.content_areas}
        self.inspections = 0  # visits planned so far in the ward

    # -- one school ------------------------------------------------------------------------------

    def plan_school(self, school: School, staff: User, items: list[ChecklistItem]) -> None:
        def stream(topic: str) -> random.Random:  # one per topic: --no-files changes nothing else
            return random.Random(f"{self.seed}/{school.slug}/{topic}")

        rng = stream("year")
        pilot = self.ctx.plan.is_pilot(school)
        profile = rng.choices(PROFILES, WEIGHTS[True] if pilot else self.weights)[0]
        activities = self._activities(school, staff, profile, pilot, stream("activities"))
        plans = {}
        evaluation_item = None
        for item in items:
            milestone = self.milestones.get(item.milestone_id) if item.milestone_id is not None else None
            if item.kind is ItemKind.TARGET:
                continue  # computed from the activities
            if milestone is not None and milestone.tracks == "self_evaluation":
                evaluation_item = item
                continue
            plans[item.id] = self._item_dates(item, profile, rng)
        self._files(school, staff, items, plans, activities, stream("files"))
        for plan in plans.values():
            self._status_steps(plan, staff)
        self._self_evaluation(school, staff, evaluation_item, profile, stream("evaluation"))
        rng = stream("inspection")
        if pilot or rng.random() < P_INSPECTED[profile]:
            self._inspection(school, items, plans, profile, rng)

    def _timing(self, item: ChecklistItem):
        if item.evidence_requirement_id:
            return self.evidence[item.evidence_requirement_id].timing
        assert item.milestone_id is not None  # neither evidence nor a target (never planned): a milestone
        return self.milestones[item.milestone_id].timing

    def _item_dates(self, item: ChecklistItem, profile: str, rng: random.Random) -> ItemPlan:
        """When the school started and finished the item, by its due date and the school's profile."""
        opens = self.year.window(self._timing(item))[0]
        due = item.due_on
        p_done = P_DONE[profile] * (1 if item.required else 0.45)
        plan = ItemPlan(item)
        roll = rng.random()
        if roll < p_done:
            if rng.random() < P_LATE[profile]:
                done = due + rng.randint(1, 35) * DAY
            else:
                done = max(opens, due - rng.randint(0, max(0, min(25, (due - opens).days))) * DAY)
            plan.done = moment(done, rng)
            if rng.random() < 0.6:
                plan.start = plan.done - rng.randint(1, 20) * DAY
        elif roll < p_done + (1 - p_done) * P_STARTED[profile]:
            plan.start = moment(opens + rng.randint(0, max(0, (due - opens).days + 10)) * DAY, rng)
        if (plan.start or plan.done) and rng.random() < 0.35:
            plan.note = rng.choice(texts.ITEM_NOTES)
        return plan

    def _status_steps(self, plan: ItemPlan, actor: User) -> None:
        if plan.start is not None and self.tl.add(
            plan.start, actions.set_status, plan.item, actor, ItemStatus.IN_PROGRESS, plan.note
        ):
            plan.changes.append(plan.start)
            plan.note = None
        if plan.done is not None and self.tl.add(
            plan.done, actions.set_status, plan.item, actor, ItemStatus.DONE, plan.note
        ):
            plan.changes.append(plan.done)

    def _activities(self, school, staff, profile, pilot, rng) -> list[tuple[datetime, ActivityHolder]]:
        holders = []
        for day, values in school_activities(school.level, profile, pilot, self.year, self.forms, self.areas, rng):
            holder, created = ActivityHolder(values), moment(day, rng)
            if self.tl.add(created, actions.create_activity, school, staff, holder):
                holders.append((created, holder))
        return holders

    def _files(self, school, staff, items, plans, activities, rng) -> None:
        """Exactly `files_per_school` uploads: first the proof of each evidence item the school
        finishes (an item without a file stays in progress), then photos and records of its
        activities, then drafts on its other items."""
        budget = self.files_per_school
        evidence = [plans[i.id] for i in items if i.kind is ItemKind.EVIDENCE and i.id in plans]
        finished = sorted((p for p in evidence if p.done), key=lambda p: p.done)
        uploads: list[tuple] = []  # (when, evidence plan, activity holder or None)
        for plan in finished:
            if budget > len(uploads):
                uploads.append((plan.done - rng.randint(1, 96) * HOUR, plan, None))
            else:  # no file, so it cannot be done: it stays in progress
                plan.start, plan.done = plan.start or plan.done, None
        others = [(None, holder) for _, holder in activities] + [(p, None) for p in evidence if not p.done]
        others += [(p, None) for p in plans.values() if p.item.kind is ItemKind.MILESTONE]
        n = 0
        while len(uploads) < budget and others:
            plan, holder = others[n % len(others)]
            n += 1
            if holder is not None:
                created = next(when for when, h in activities if h is holder)
                when = created + rng.randint(1, 20) * DAY + rng.randint(0, 5) * HOUR
            elif plan.start is not None:
                when = plan.start + rng.randint(1, 10) * DAY
            else:
                when = moment(self.year.hk2_start + rng.randint(10, 80) * DAY, rng)
            uploads.append((when, plan, holder))
        for number, (when, plan, holder) in enumerate(uploads):
            item = plan.item if plan else None
            if holder:
                key = "activity"
            else:
                assert item is not None  # an upload is for an activity or for an item's plan
                key = self.evidence[item.evidence_requirement_id].key if item.evidence_requirement_id else "milestone"
            spec = self._file_spec(school, key, number, holder, rng)
            if self.tl.add(when, actions.upload, school, staff, spec, item=item, activity=holder) and plan:
                plan.changes.append(when)

    def _file_spec(self, school, key, number, holder, rng) -> FileSpec:
        kinds, name, description = texts.FILE_NAMES.get(key) or texts.FILE_NAMES["milestone"]
        kind = rng.choice(kinds)
        name = name.format(year=self.year.name)
        if holder is not None:  # a photo of the activity, or its report
            title, class_name = holder.values["title"], holder.values["class_name"]
            name = f"{'Báo cáo' if kind == 'docx' else 'Ảnh'} - {title}"[:150]
            if class_name and class_name not in title:
                name += f" - lớp {class_name}"
            if kind == "docx":
                description = "Báo cáo kết quả hoạt động"
        title = f"{name} - {school.name}"
        lines = texts.file_lines(school.name, self.ctx.ward.name, self.year.name)
        return FileSpec(
            kind,
            f"{name}.{texts.EXTENSIONS[kind]}",
            title,
            lines,
            description,
            restricted=kind == "jpg" and rng.random() < 0.6,  # photos of pupils
            seed=f"{self.seed}/{school.slug}/file/{number}",
        )

    def _self_evaluation(self, school, staff, item, profile, rng) -> None:
        p_submit, p_draft = P_EVALUATION[profile]
        roll = rng.random()
        if roll >= p_submit + p_draft:
            return
        ratings = [
            (rating, texts.EVALUATION_TEXTS[rating])
            for rating in rng.choices(texts.RATINGS[profile], k=len(self.ctx.plan.criteria))
        ]
        draft = moment(self.year.hk2_end - rng.randint(8, 25) * DAY, rng)
        if self.tl.add(draft, actions.save_evaluation, school, staff, ratings, submit=False) and item is not None:
            self.tl.add(draft + HOUR, actions.set_status, item, staff, ItemStatus.IN_PROGRESS)
        if roll < p_submit:
            late = rng.randint(0, 20) if profile == "behind" else 0
            submitted = moment(self.year.hk2_end - rng.randint(0, 7) * DAY + late * DAY, rng)
            if self.tl.add(submitted, actions.save_evaluation, school, staff, ratings, submit=True) and item:
                self.tl.add(submitted + HOUR, actions.set_status, item, staff, ItemStatus.DONE)

    def _inspection(self, school, items, plans, profile, rng) -> None:
        """A visit in the mid-HK II window: verdicts on what was due, the minutes, and later
        re-verification of some items the school changed after the visit."""
        year = self.year
        visit_on = year.midterm_start + rng.randint(0, max(0, (year.midterm_end - year.midterm_start).days)) * DAY
        visit_on -= max(0, visit_on.weekday() - 4) * DAY
        holder = InspectionHolder(visit_on)
        visit = moment(visit_on, rng, 8, 8)
        scheduled = moment(visit_on - rng.randint(5, 14) * DAY, rng)
        if not self.tl.add(scheduled, actions.schedule_inspection, school, holder):
            return
        self.inspections += 1
        judge_rng = random.Random(f"{self.seed}/{school.slug}/verdicts")
        for n, item in enumerate(items):
            opens = self.year.window(self._timing(item))[0] if item.kind is not ItemKind.TARGET else year.hk2_start
            if opens > visit_on or (item.milestone_id and self.milestones[item.milestone_id].tracks):
                continue
            supervisor = rng.choice(self.ctx.supervisors)
            self.tl.add(visit + timedelta(minutes=5 * n), _judge, item, supervisor, holder, judge_rng)
            plan = plans.get(item.id)
            later = [when for when in (plan.changes if plan else []) if when > visit]
            if later and rng.random() < 0.6:
                self.tl.add(max(later) + rng.randint(3, 20) * DAY, _reverify, item, supervisor)
        representative = f"{person(rng)} - Hiệu trưởng"
        self.tl.add(
            visit + 6 * HOUR,
            actions.close_inspection,
            holder,
            texts.CONCLUSIONS[profile],
            texts.RECOMMENDATIONS[profile],
            representative,
        )

    # -- the ward's own items ----------------------------------------------------------------------

    def plan_ward(self, items: list[ChecklistItem]) -> None:
        rng = random.Random(f"{self.seed}/{self.ctx.ward.slug}/ward")
        admin = self.ctx.admin
        for item in items:
            assert item.milestone_id is not None  # the ward's own items are all milestones
            milestone = self.milestones[item.milestone_id]
            if milestone.tracks == "inspections":
                if self.inspections:
                    start = moment(self.year.midterm_start - rng.randint(3, 10) * DAY, rng)
                    plan = ItemPlan(item, start, moment(self.year.midterm_end + rng.randint(2, 6) * DAY, rng))
                else:
                    continue
            else:
                plan = self._item_dates(item, "ahead", rng)
            self._status_steps(plan, admin)


def _judge(
    ctx: WardContext, when: datetime, item: ChecklistItem, actor: User, inspection: InspectionHolder, rng: random.Random
) -> None:
    """A supervisor's verdict during the visit, on what the item shows that day."""
    if item.status is ItemStatus.DONE:
        verdict = Verdict.PASSED if rng.random() < 0.9 else Verdict.NEEDS_MORE
    elif item.kind is ItemKind.TARGET or rng.random() < (0.3 if item.status is ItemStatus.IN_PROGRESS else 0.15):
        return  # targets are judged once met; some unfinished items are left for later
    else:
        verdict = Verdict.NEEDS_MORE
    reason = rng.choice(texts.NEEDS_MORE_REASONS) if verdict is Verdict.NEEDS_MORE else ""
    actions.give_verdict(ctx, when, item, actor, verdict, reason, inspection)


def _reverify(ctx: WardContext, when: datetime, item: ChecklistItem, actor: User) -> None:
    """From the queue of resubmitted items: passed if done now, sent back again otherwise."""
    if item.resubmitted_at is None:
        return
    if item.status is ItemStatus.DONE:
        actions.give_verdict(ctx, when, item, actor, Verdict.PASSED, "")
    else:
        actions.give_verdict(ctx, when, item, actor, Verdict.NEEDS_MORE, texts.STILL_NEEDS_MORE)
