"""Official documents and data exports speak Vietnamese, whatever language the reader's pages use.

Their words come from the same vocabulary as the pages (aiplan/models/vocabulary.py), whose labels
are translated when read; a builder decorated with `in_vietnamese` reads them under
`force_locale("vi")`. What a builder returns must hold plain text, not lazy strings, which would be
translated again wherever they are read later (AdminDocument fixes them when they are added).
"""

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask_babel import force_locale

VIETNAMESE = "vi"
P = ParamSpec("P")
R = TypeVar("R")


def in_vietnamese(build: Callable[P, R]) -> Callable[P, R]:
    """Run `build` with the labels read in Vietnamese."""

    @wraps(build)
    def built(*args: P.args, **kwargs: P.kwargs) -> R:
        with force_locale(VIETNAMESE):
            return build(*args, **kwargs)

    return built
