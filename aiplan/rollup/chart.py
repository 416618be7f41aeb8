"""The geometry of the week-by-week progress chart, drawn on the server as SVG.

No chart library: two polylines on a small grid are all it takes, and the page stays
within a Content-Security-Policy without inline scripts or styles.
"""

from dataclasses import dataclass
from datetime import date

from ..figures.readmodel import WeekPoint

# Small enough that its labels stay legible when a phone shrinks it to 328 px.
WIDTH, HEIGHT = 400, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 14, 12, 30


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right: int  # x of the plot's right edge
    top: int
    bottom: int  # y of the plot's bottom edge
    done_points: str
    verified_points: str
    y_ticks: list[tuple[float, int]]  # (y, value)
    x_ticks: list[tuple[float, date]]  # (x, first day of the month)
    done_end: tuple[float, float]
    verified_end: tuple[float, float]
    first: WeekPoint
    last: WeekPoint
    total: int


def _step(top: int) -> int:
    """A round step (1, 2, 5 × 10^k) giving at most five gridlines up to `top`."""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            if top <= 4 * step:
                return step
        magnitude *= 10


def progress_chart(weeks: list[WeekPoint], total: int) -> Chart | None:
    """Polylines of items done and verified per week against `total` required items; None if no week."""
    if not weeks:
        return None
    step = _step(max(total, weeks[-1].done, 1))
    y_max = step * -(-max(total, weeks[-1].done, 1) // step)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(index: int) -> float:
        return round(LEFT + plot_w * index / max(len(weeks) - 1, 1), 1)

    def y(value: int) -> float:
        return round(TOP + plot_h * (1 - value / y_max), 1)

    def points(attr: str) -> str:
        return " ".join(f"{x(i)},{y(getattr(week, attr))}" for i, week in enumerate(weeks))

    months = [
        (i, week.ends_on.replace(day=1))
        for i, week in enumerate(weeks)
        if week.starts_on.day == 1 or week.starts_on.month != week.ends_on.month
    ]
    if len(months) > 7:  # keep the labels apart on a phone
        months = months[::2]
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=WIDTH - RIGHT,
        top=TOP,
        bottom=HEIGHT - BOTTOM,
        done_points=points("done"),
        verified_points=points("verified"),
        y_ticks=[(y(value), value) for value in range(0, y_max + 1, step)],
        x_ticks=[(x(i), month) for i, month in months],
        done_end=(x(len(weeks) - 1), y(weeks[-1].done)),
        verified_end=(x(len(weeks) - 1), y(weeks[-1].verified)),
        first=weeks[0],
        last=weeks[-1],
        total=total,
    )
