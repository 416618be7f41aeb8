"""Generating demo wards: checks before anything is written, then one transaction per ward.

A ward's plan is loaded with `load_plan` and its schools imported with `apply_schools` (the
pilot flag and the plan's pilot set, the checklists, their audit records), exactly as an
operator would (school codes included); accounts are written directly with one password hash for all, since Argon2
is slow on purpose; the school year is then replayed by `timeline`. Every ward ends with a
"demo.generate" audit event, by which a later run recognises the ward's demo data.

A city run (--city) also makes the Sở's two accounts, and lets each ward draw a pace (names.
WARD_PACES) that its schools' progress leans towards, so that the city's wards differ.
"""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from flask import current_app
from sqlalchemy import func, select

from .. import audit
from ..admin.schools import apply_schools
from ..auth.services import hash_password
from ..extensions import db
from ..models import CITY_ROLES, AuditEvent, AuditHead, ChecklistItem, City, Plan, Role, School, User, Ward
from ..plans.city_plan import BUNDLED_CITY_PLAN, city_plan_of, load_city_plan, read_city_plan_file
from ..plans.services import BUNDLED_PLAN, city_named, load_plan
from ..plans.spec import PlanSpec, read_plan_file
from ..schoolyear import current_plan_or_none
from ..storage import get_storage
from ..timeutil import local_today
from . import names
from .actions import Counts, WardContext
from .names import SchoolName, WardName
from .timeline import SchoolYearPlanner, Timeline

MARKER = "demo.generate"  # the audit action that marks a ward as holding demo data
CHUNK = 500  # values per IN (…) when checking names against the database


@dataclass
class Options:
    wards: int
    schools_per_ward: int
    seed: int
    password: str
    files_per_school: int
    max_file_kb: int
    append: bool = False
    city: bool = False  # the Sở's accounts, and wards that differ in pace


@dataclass
class Report:
    totals: Counts
    wards: int
    seconds: float
    sample_accounts: list[str]  # the Sở's (a city run), the first ward's four and its first school's staff


class DemoRefused(Exception):
    """Nothing was written; `problems` says why, one line each."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class WardJob:
    ward: WardName
    schools: list[SchoolName]
    existing_id: int | None  # the ward, if it is already in the database
    appending: bool  # it already holds demo data (--append)
    new_accounts: list[tuple[str, str, str]]  # (username, role, title) still to create
    pace: tuple[str, tuple[int, ...]] | None = None  # a city run: how the ward is getting on


def wards_for(options: Options, spec: PlanSpec) -> list[WardName]:
    """One ward: the bundled one; more: "Phường Demo 001"… (the bundled ward is then left alone)."""
    if options.wards == 1:
        return [WardName(0, spec.ward["slug"], spec.ward["name"])]
    return [names.demo_ward(number) for number in range(1, options.wards + 1)]


def prepare(options: Options, spec: PlanSpec) -> list[WardJob]:
    """What each ward will get, or DemoRefused if any of it would clash with what is there."""
    wanted = wards_for(options, spec)
    existing = {w.slug: w for w in db.session.scalars(select(Ward).where(Ward.slug.in_([w.slug for w in wanted])))}
    ids = [w.id for w in existing.values()]
    marked = (
        set(
            db.session.scalars(
                select(AuditEvent.ward_id).where(AuditEvent.action == MARKER, AuditEvent.ward_id.in_(ids)).distinct()
            )
        )
        if ids
        else set()
    )
    school_names: dict[int, list[tuple[str, str]]] = {}
    for ward_id, name, slug in db.session.execute(
        select(School.ward_id, School.name, School.slug).where(School.ward_id.in_(ids))
    ):
        school_names.setdefault(ward_id, []).append((name, slug))
    problems, jobs = [], []
    for ward_name in wanted:
        ward = existing.get(ward_name.slug)
        own = school_names.get(ward.id, []) if ward else []
        demo = [name for name, slug in own if slug.endswith(f"-{ward_name.code}")]
        if ward is not None and ward.id in marked and not options.append:
            problems.append(
                f"{ward.name} ({ward.slug}) đã có dữ liệu mẫu ({len(demo)} trường); dùng --append để "
                "thêm trường, hoặc tạo dữ liệu mẫu trong một cơ sở dữ liệu mới."
            )
            continue
        if ward is not None and ward_name.number > 0 and ward.id not in marked and own:
            problems.append(
                f"Phường {ward.slug} đã có {len(own)} trường không do generate-demo tạo; không ghi đè dữ liệu thật."
            )
            continue
        taken = names.places_in([name for name, slug in own if not slug.endswith(f"-{ward_name.code}")])
        schools = names.school_names(options.seed, ward_name, len(demo), options.schools_per_ward, taken)
        jobs.append(
            WardJob(
                ward_name,
                schools,
                ward.id if ward else None,
                ward is not None and ward.id in marked,
                names.ward_usernames(ward_name),
                names.ward_pace(options.seed, ward_name) if options.city else None,
            )
        )
    if problems:
        raise DemoRefused(problems)
    _check_names(jobs, options.append, problems)
    if problems:
        raise DemoRefused(problems)
    return jobs


def _check_names(jobs: list[WardJob], append: bool, problems: list[str]) -> None:
    """School slugs, codes and usernames must be new, except the ward accounts of a ward appended to."""
    slugs = [school.slug for job in jobs for school in job.schools]
    taken = {slug for slug, _ in _existing(School.slug, School.ward_id, slugs)}
    if taken:
        problems.append(f"Trường đã có (slug): {', '.join(sorted(taken)[:10])}")
    codes = {code for code, _ in _existing(School.code, School.ward_id, [s.code for j in jobs for s in j.schools])}
    if codes:
        problems.append(f"Mã CSDL (mã trường) đã có: {', '.join(sorted(codes)[:10])}")
    owners = dict(
        _existing(
            User.username, User.ward_id, slugs + [username for job in jobs for username, _, _ in job.new_accounts]
        )
    )
    for job in jobs:
        if append and job.existing_id is not None:  # its accounts from the earlier run are used again
            job.new_accounts = [a for a in job.new_accounts if owners.get(a[0]) != job.existing_id]
    clashes = [slug for slug in slugs if slug in owners]
    clashes += [username for job in jobs for username, _, _ in job.new_accounts if username in owners]
    if clashes:
        problems.append(f"Tên đăng nhập đã có: {', '.join(sorted(clashes)[:10])}")


def _existing(column, owner_column, values: list[str]) -> list[tuple[str, int]]:
    """(value, ward id) of the values already in `column`, a few hundred per query."""
    found: list = []  # (value, owner) rows
    for start in range(0, len(values), CHUNK):
        found += db.session.execute(select(column, owner_column).where(column.in_(values[start : start + CHUNK]))).all()
    return found


def generate(options: Options, echo: Callable[[str], None]) -> Report:
    """Generate every ward, printing a line for each with `echo`."""
    started = time.perf_counter()
    spec = read_plan_file(BUNDLED_PLAN)
    jobs = prepare(options, spec)
    city_accounts = _prepare_city(spec) if options.city else []
    password_hash = hash_password(options.password)  # once: Argon2 is slow on purpose
    _load_city_plan(spec)
    totals = Counts()
    if options.city:
        totals.accounts += _city_accounts(spec, city_accounts, password_hash)
    for job in jobs:
        ward_started = time.perf_counter()
        counts = generate_ward(job, options, spec, password_hash)
        totals.add(counts)
        echo(
            f"{job.ward.name} ({job.ward.slug}): {counts.schools} trường, {counts.accounts} tài khoản, "
            f"{counts.items} mục việc, {counts.activities} hoạt động, {counts.files} tệp "
            f"({counts.bytes / 1024 / 1024:.1f} MB), {counts.audit_events} bản ghi nhật ký"
            + (f", tiến độ: {PACE_WORDS[job.pace[0]]}" if job.pace else "")
            + f" — {time.perf_counter() - ward_started:.1f} giây"
        )
    sample = [username for username, _, _ in city_accounts]
    sample += [username for username, _, _ in names.ward_usernames(jobs[0].ward)] + [jobs[0].schools[0].slug]
    return Report(totals, len(jobs), time.perf_counter() - started, sample)


def _load_city_plan(spec: PlanSpec) -> None:
    """The bundled city plan (the Sở's indicators, ha-noi-city.toml), as `setup` loads it, if the
    wards' city is its city and has no plan yet: the demo wards' plans map their milestones and
    targets to its codes, so /city has figures. Committed."""
    city_spec = read_city_plan_file(BUNDLED_CITY_PLAN)
    city = db.session.scalar(select(City).filter_by(slug=city_spec.city["slug"]))
    if city_spec.city["name"] == spec.ward["city"] and city_plan_of(city) is None:
        load_city_plan(city_spec)


PACE_WORDS = {"leading": "đi trước", "steady": "đều", "lagging": "chậm", "stalled": "rất chậm"}


def _prepare_city(spec: PlanSpec) -> list[tuple[str, str, str]]:
    """The Sở's two accounts of the city the plan names; DemoRefused if a username is taken by
    another account (the Sở's own accounts of that city, from an earlier run, are used again)."""
    slug = city_named(spec.ward["city"]).slug
    db.session.rollback()  # the city itself is made with the accounts, in one transaction
    wanted = names.city_usernames(slug)
    found = db.session.execute(
        select(User.username, User.role, City.slug)
        .outerjoin(City, User.city_id == City.id)
        .where(User.username.in_([username for username, _, _ in wanted]))
    ).all()
    clashes = [username for username, role, city in found if role not in CITY_ROLES or city != slug]
    if clashes:
        raise DemoRefused([f"Tên đăng nhập đã có: {', '.join(clashes)}"])
    return wanted


def _city_accounts(spec: PlanSpec, accounts: list[tuple[str, str, str]], password_hash: str) -> int:
    """The city (made if the plan's city is new) and the Sở's accounts still missing; committed.
    How many accounts were made."""
    city = city_named(spec.ward["city"])
    db.session.flush()
    existing = set(db.session.scalars(select(User.username).where(User.city_id == city.id)))
    new = [
        User(
            username=username,
            role=Role(role),
            city=city,
            full_name=f"{title} ({city.name})",
            password_hash=password_hash,
        )
        for username, role, title in accounts
        if username not in existing
    ]
    db.session.add_all(new)
    db.session.flush()
    for user in new:
        audit.record("user.create", user, after={"username": user.username, "role": user.role.value, "city": city.slug})
        db.session.flush()  # the chain's head, if this is the first event, before the next one reads it
    db.session.commit()
    return len(new)


def _plan_for(job: WardJob, spec: PlanSpec, seed: int) -> Plan:
    """The ward's current plan, loading the bundled one (renamed for a demo ward) if it has none."""
    plan = current_plan_or_none(job.existing_id) if job.existing_id is not None else None
    if plan is not None:
        return plan
    if job.ward.number > 0:  # "Phường Long Biên" becomes "Phường Demo 001" in the ward and the plan's title
        old, new = spec.ward["name"], job.ward.name
        authority = spec.ward["authority"].replace(old.split(" ", 1)[1], new.split(" ", 1)[1])
        spec = replace(
            spec,
            ward={**spec.ward, "slug": job.ward.slug, "name": new, "authority": authority},
            title=spec.title.replace(old[0].lower() + old[1:], new[0].lower() + new[1:]),
            signer=names.person(random.Random(f"{seed}/{job.ward.slug}/signer")),
        )
    return load_plan(spec).plan


def generate_ward(job: WardJob, options: Options, spec: PlanSpec, password_hash: str) -> Counts:
    """One ward in one transaction; its files go into the store just before it commits."""
    head_before = _audit_events()
    plan = _plan_for(job, spec, options.seed)
    ward = plan.ward
    storage = get_storage()
    ctx = None
    try:
        accounts = _ward_accounts(job, ward, password_hash)
        ctx = WardContext(
            ward=ward,
            plan=plan,
            admin=accounts["ward_admin"][0],
            supervisors=accounts["supervisor"],
            storage=storage,
            config=current_app.config,
            max_file_kb=options.max_file_kb,
        )
        ctx.counts.accounts = len(job.new_accounts)
        apply_schools(ward, [school.row for school in job.schools], actor=ctx.admin)
        schools = list(
            db.session.scalars(
                select(School).where(School.slug.in_([s.slug for s in job.schools])).order_by(School.slug)
            )
        )
        staff = _staff_accounts(ward, schools, password_hash, ctx.admin)
        ctx.counts.accounts += len(staff)
        ctx.counts.schools = len(schools)
        items = list(
            db.session.scalars(
                select(ChecklistItem)
                .where(
                    ChecklistItem.plan_id == plan.id,
                    ChecklistItem.retired.is_(False),
                    ChecklistItem.school_id.in_([s.id for s in schools]) | ChecklistItem.school_id.is_(None),
                )
                .order_by(ChecklistItem.school_id, ChecklistItem.position)
            )
        )
        by_school: dict[int | None, list[ChecklistItem]] = {}
        for item in items:
            by_school.setdefault(item.school_id, []).append(item)
        ctx.counts.items = len(items) - len(by_school.get(None, []))
        timeline = Timeline(ctx, min(local_today(), plan.school_year.closes_on))
        planner = SchoolYearPlanner(timeline, options.seed, options.files_per_school, job.pace[1] if job.pace else None)
        for school in schools:
            planner.plan_school(school, staff[school.id], by_school.get(school.id, []))
        if job.ward.number > 0 and not job.appending:  # the ward's own items: a demo ward's, once
            planner.plan_ward(by_school.get(None, []))
        timeline.run()
        audit.record(
            MARKER,
            ward,
            ward_id=ward.id,
            after={
                "seed": options.seed,
                "schools": [job.schools[0].index, len(job.schools)],
                "files_per_school": options.files_per_school,
                "max_file_kb": options.max_file_kb,
            },
        )
        # The blobs first, as save_uploads does: a crash or a full disk now leaves no row without its bytes.
        for temp, sha256 in ctx.staged:
            storage.put(temp, sha256)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        for temp, _ in ctx.staged if ctx else []:
            temp.unlink(missing_ok=True)
        raise
    ctx.counts.audit_events = _audit_events() - head_before
    db.session.expunge_all()  # the next ward starts with an empty session: memory stays flat
    return ctx.counts


def _audit_events() -> int:
    """Events in the audit log: its chains' heads count them (models/audit.py)."""
    return db.session.scalar(select(func.coalesce(func.sum(AuditHead.seq), 0))) or 0


def _ward_accounts(job: WardJob, ward: Ward, password_hash: str) -> dict[str, list[User]]:
    """The ward's admin, two supervisors and a viewer (created now, or found when appending)."""
    usernames = [username for username, _, _ in names.ward_usernames(job.ward)]
    new = [
        User(
            username=username,
            role=Role(role),
            ward=ward,
            full_name=f"{title} ({job.ward.name})",
            password_hash=password_hash,
        )
        for username, role, title in job.new_accounts
    ]
    db.session.add_all(new)
    db.session.flush()
    for user in new:
        audit.record(
            "user.create",
            user,
            ward_id=ward.id,
            after={"username": user.username, "role": user.role.value, "school": None},
        )
    users = db.session.scalars(select(User).where(User.username.in_(usernames)).order_by(User.username))
    by_role: dict[str, list[User]] = {}
    for user in users:
        by_role.setdefault(user.role.value, []).append(user)
    return by_role


def _staff_accounts(ward: Ward, schools: list[School], password_hash: str, actor: User) -> dict[int, User]:
    """One school_staff account per school, named like the school's slug."""
    staff = {
        school.id: User(
            username=school.slug,
            role=Role.SCHOOL_STAFF,
            ward=ward,
            school=school,
            full_name=names.person(random.Random(f"staff/{school.slug}")),
            password_hash=password_hash,
        )
        for school in schools
    }
    db.session.add_all(staff.values())
    db.session.flush()
    for school in schools:
        user = staff[school.id]
        audit.record(
            "user.create",
            user,
            school_id=user.school_id,
            ward_id=ward.id,
            actor=actor,
            after={"username": user.username, "role": user.role.value, "school": school.slug},
        )
    return staff
