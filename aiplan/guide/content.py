"""The user guide as data: one TOML file per role under roles/, and the FAQ in faq.toml.

The words live in the files, not in templates or code, so whoever keeps the guide edits one file per
role; the page, the DOCX and the screenshots (tests/test_guide_journeys.py) all read them from here.
A task names the pages it explains (their endpoints, for the "?" beside each page's title), the
screenshot that shows it, and its steps; a step that names a control (`do`, `name`, `label`) is one
the phone journey in the tests performs literally, so the words cannot drift from the buttons.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROLES_DIR = HERE / "roles"
FAQ_FILE = HERE / "faq.toml"
# The order of the guides on the guide page; the reader's own comes first.
ORDER = ("truong", "doan-kiem-tra", "phong-vhxh", "lanh-dao", "so-gddt")
SIZES = ("phone", "desktop")
_PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")


@dataclass(frozen=True)
class Step:
    text: str
    do: str = ""  # goto | fill | click | upload | see: what the phone journey does
    name: str = ""  # the control's accessible name (click), the words to see, the title goto lands on
    label: str = ""  # the field's label (fill, upload)
    within: str = ""  # the checklist item the control sits in, by its title
    path: str = ""  # goto


@dataclass(frozen=True)
class Problem:
    message: str  # as the app prints it; %(x)s where the app puts a value
    meaning: str

    @property
    def shown(self) -> str:
        """The message as a reader meets it: a value's place shown as "…"."""
        return _PLACEHOLDER.sub("…", self.message)


@dataclass(frozen=True)
class Shot:
    """A screenshot the guide shows, made by tests/test_guide_journeys.py at both SIZES."""

    name: str
    persona: str  # the test persona the journey signs in as (tests/helpers.PERSONAS)
    path: str  # {school} and {visit} are filled in by the journey
    endpoint: str  # the page it shows: the drift test checks path and endpoint still agree
    heading: str  # the page's <h1> when the picture was made: the journey checks it still is
    alt: str
    open: tuple[str, ...] = ()  # CSS selectors of <details> to open before the picture
    scroll_to: str = ""  # a checklist item's title to scroll to (and unfold)

    def file(self, size: str) -> str:
        return f"guide/{self.name}-{size}.png"


@dataclass(frozen=True)
class Task:
    id: str
    phase: str  # the plan's timing: "Đầu HK II", "Trong HK II", …
    title: str
    when: str
    why: str  # the plan's own line
    why_source: str  # where in the plan
    steps: tuple[Step, ...]
    problems: tuple[Problem, ...]
    pages: tuple[str, ...] = ()
    screenshot: str = ""


@dataclass(frozen=True)
class Guide:
    slug: str
    title: str
    roles: tuple[str, ...]  # Role values it is written for
    audience: str
    intro: str
    tasks: tuple[Task, ...]
    shots: dict[str, Shot] = field(default_factory=dict)
    # Guides whose sections explain this role's pages where its own does not (the Sở reads a ward as
    # the ward's leaders do), before any other guide.
    reads_like: tuple[str, ...] = ()

    def task(self, task_id: str) -> Task | None:
        return next((t for t in self.tasks if t.id == task_id), None)


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answer: str
    messages: tuple[str, ...] = ()

    @property
    def shown_messages(self) -> tuple[str, ...]:
        return tuple(_PLACEHOLDER.sub("…", m) for m in self.messages)


def _one_line(text: str) -> str:
    """A paragraph written over several lines of a TOML file, as one line of text."""
    return " ".join(text.split())


def _guide(path: Path) -> Guide:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    shots = {s["name"]: Shot(**(s | {"open": tuple(s.get("open", ()))})) for s in data.get("shot", [])}
    tasks = tuple(
        Task(
            id=t["id"],
            phase=t["phase"],
            title=t["title"],
            when=t["when"],
            why=_one_line(t["why"]),
            why_source=t["why_source"],
            steps=tuple(Step(**s) for s in t.get("step", [])),
            problems=tuple(Problem(**p) for p in t.get("problem", [])),
            pages=tuple(t.get("pages", ())),
            screenshot=t.get("screenshot", ""),
        )
        for t in data["task"]
    )
    return Guide(
        slug=path.stem,
        title=data["title"],
        roles=tuple(data["roles"]),
        audience=data["audience"],
        intro=_one_line(data["intro"]),
        tasks=tasks,
        shots=shots,
        reads_like=tuple(data.get("reads_like", ())),
    )


@cache
def guides() -> dict[str, Guide]:
    """Every role's guide, by slug, in ORDER."""
    found = {path.stem: _guide(path) for path in ROLES_DIR.glob("*.toml")}
    return {slug: found[slug] for slug in ORDER if slug in found} | found


@cache
def questions() -> tuple[Question, ...]:
    data = tomllib.loads(FAQ_FILE.read_text(encoding="utf-8"))
    return tuple(
        Question(q["id"], q["question"], _one_line(q["answer"]), tuple(q.get("messages", ()))) for q in data["question"]
    )


def guide_for_role(role: str) -> Guide:
    """The guide written for an account's role (a Role value)."""
    return next((g for g in guides().values() if role in g.roles), next(iter(guides().values())))


def in_reading_order(role: str) -> list[Guide]:
    """Every guide, the reader's own first, then those it reads like."""
    own = guide_for_role(role)
    first = [own] + [guides()[slug] for slug in own.reads_like]
    return first + [g for g in guides().values() if g not in first]


def section_for(endpoint: str | None, role: str) -> tuple[str, str] | None:
    """(guide slug, task id) of the section that explains the page `endpoint`: in the reader's own
    guide if it does, else in the first guide that does; None when no guide explains it."""
    if not endpoint:
        return None
    for guide in in_reading_order(role):
        for task in guide.tasks:
            if endpoint in task.pages:
                return guide.slug, task.id
    return None
