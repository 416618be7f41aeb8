"""The AI activities a demo school records in its school year, by its level, profile and pilot status."""

import random
from collections.abc import Sequence
from datetime import date, timedelta

from ..models import SchoolLevel, SchoolYear
from . import texts

DAY = timedelta(days=1)
# form code -> chance of one such activity for an ahead, on-track and behind school
SUPPORT_CHANCES = {
    "2.3": (0.6, 0.3, 0.1),
    "boi-duong": (0.8, 0.6, 0.3),
    "tuyen-truyen": (0.7, 0.4, 0.1),
    "bdhvs": (0.3, 0.15, 0.0),
}
PROFILE_INDEX = {"ahead": 0, "on_track": 1, "behind": 2}


def school_activities(
    level: SchoolLevel, profile: str, pilot: bool, year: SchoolYear, forms: dict, areas: dict, rng: random.Random
) -> list[tuple[date, dict]]:
    """(day recorded, Activity values) of each activity: lessons integrated into subjects (2.1), the
    pilot classes of the elective module (2.2, pilot schools only), clubs, teacher training,
    outreach to parents and "Bình dân học vụ số". Forms the plan does not have are left out."""
    wanted = ["2.1"] * {
        "ahead": rng.randint(2, 4),
        "on_track": rng.randint(1, 3),
        "behind": rng.randint(0, 1),
        "idle": 0,
    }[profile]
    if pilot:
        wanted += ["2.2"] * {
            "ahead": rng.randint(1, 3),
            "on_track": rng.randint(1, 2),
            "behind": rng.randint(0, 1),
            "idle": 0,
        }[profile]
    if profile in PROFILE_INDEX:
        wanted += [code for code, chances in SUPPORT_CHANCES.items() if rng.random() < chances[PROFILE_INDEX[profile]]]
    grades = texts.GRADES[level]
    subjects = texts.SUBJECTS.get(level, texts.SUBJECTS[SchoolLevel.TIEU_HOC] + texts.SUBJECTS[SchoolLevel.THCS])
    activities, pilot_classes = [], set()
    for code in wanted:
        if code not in forms:
            continue
        starts = year.hk2_start + rng.randint(0, 55) * DAY
        ends = min(starts + rng.randint(14, 75) * DAY, year.hk2_end)
        grade = rng.choice(grades)
        class_name = f"{grade}{rng.choice('ABCDE')}"
        if code == "2.2":
            while class_name in pilot_classes:  # each pilot class is another class
                grade = rng.choice(grades)
                class_name = f"{grade}{rng.choice('ABCDEFGH')}"
            pilot_classes.add(class_name)
        values = dict(
            form=forms[code],
            subject="",
            grade=str(grade),
            class_name=class_name,
            participants=rng.randint(25, 45),
            lessons=rng.randint(2, 12),
            starts_on=starts,
            ends_on=ends,
            products="",
            notes="",
        )
        if code == "2.1":
            subject = rng.choice(subjects)
            values.update(title=f"Lồng ghép giáo dục AI trong môn {subject} lớp {class_name}", subject=subject)
            area_codes: Sequence[str] = rng.sample(["a", "b", "c"], rng.randint(1, 3))
        elif code == "2.2":
            values.update(title=rng.choice(texts.ELECTIVE_TITLES), products=rng.choice(texts.PRODUCTS))
            area_codes = rng.sample(["a", "b", "c", "d"], rng.randint(2, 4))
        else:
            title, people, lessons, grade_text, area_codes = texts.SUPPORT[code]
            values.update(
                title=title,
                grade=grade_text,
                class_name="",
                participants=rng.randint(*people),
                lessons=rng.randint(*lessons),
            )
        values["content_areas"] = [areas[c] for c in sorted(area_codes) if c in areas]
        activities.append((starts + rng.randint(0, 7) * DAY, values))
    return activities
