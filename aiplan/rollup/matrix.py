"""The school matrix of the rollup page: which schools it shows (the filter), and which page of them.

The filter applies to every school of the rollup, from their counts; only then is the result cut
into pages of PAGE_SIZE rows, so that the page reads and renders the items of those rows alone.
"""

from dataclasses import dataclass

from ..figures.readmodel import Rollup, SchoolRow
from ..inputs import parse_digits
from ..models import SchoolLevel

PAGE_SIZE = 50  # rows a matrix page renders, whatever the number of schools

ROW_STATUS = {
    "chua_hoan_thanh": lambda row: row.done < row.required,
    "da_hoan_thanh": lambda row: row.required > 0 and row.done == row.required,
    "cho_kiem_tra": lambda row: row.awaiting_check > 0,
    "can_bo_sung": lambda row: row.needs_more > 0,
    "da_xac_minh": lambda row: row.required > 0 and row.verified == row.required,
}


@dataclass(frozen=True)
class MatrixFilter:
    """Which schools the matrix shows; read from the query string, unknown values ignored."""

    level: SchoolLevel | None = None
    pilot: bool | None = None
    status: str = ""
    late: bool = False

    @classmethod
    def from_args(cls, args) -> "MatrixFilter":
        level, status = args.get("level", ""), args.get("status", "")
        return cls(
            level=SchoolLevel(level) if level in {lv.value for lv in SchoolLevel} else None,
            pilot={"1": True, "0": False}.get(args.get("pilot", "")),
            status=status if status in ROW_STATUS else "",
            late=args.get("late") == "1",
        )

    @property
    def active(self) -> bool:
        return self != MatrixFilter()

    @property
    def args(self) -> dict[str, str]:
        """The query string that gives this filter back (for the links between pages)."""
        args = {
            "level": self.level.value if self.level else "",
            "status": self.status,
            "pilot": "" if self.pilot is None else "1" if self.pilot else "0",
            "late": "1" if self.late else "",
        }
        return {key: value for key, value in args.items() if value}

    def matches(self, row: SchoolRow) -> bool:
        school = row.school
        return (
            (self.level is None or school.level is self.level)
            and (self.pilot is None or row.pilot == self.pilot)
            and (not self.status or ROW_STATUS[self.status](row))
            and (not self.late or row.late > 0)
        )

    def rows(self, rollup: Rollup) -> list[SchoolRow]:
        return [row for row in rollup.rows if self.matches(row)]


@dataclass(frozen=True)
class MatrixPage:
    """One page of the schools that match the filter."""

    filter: MatrixFilter
    matching: int  # schools that match the filter, on every page
    total: int  # schools of the rollup
    number: int  # 1-based
    rows: list[SchoolRow]

    @classmethod
    def of(cls, rollup: Rollup, matrix_filter: MatrixFilter, page: str | None) -> "MatrixPage":
        """The page `page` (from the query string; 1 if it is not a number, the last if past it)."""
        matching = matrix_filter.rows(rollup)
        number = min(max(parse_digits(page) or 1, 1), _pages(len(matching)))
        start = (number - 1) * PAGE_SIZE
        return cls(matrix_filter, len(matching), len(rollup.rows), number, matching[start : start + PAGE_SIZE])

    @property
    def pages(self) -> int:
        return _pages(self.matching)

    @property
    def first(self) -> int:
        """The place of the page's first row among the matching schools (1-based)."""
        return (self.number - 1) * PAGE_SIZE + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0

    def args(self, number: int) -> dict[str, str]:
        """The query string of page `number` under the same filter."""
        return self.filter.args | ({"trang": str(number)} if number > 1 else {})

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.pages else None


def _pages(rows: int) -> int:
    return max(-(-rows // PAGE_SIZE), 1)
