"""File sizes read the same on the evidence list, the history, the reports and the command line."""

import pytest

from aiplan.units import decimal, file_size


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"),
        (28, "28 B"),
        (1023, "1023 B"),
        (1024, "1 KB"),
        (1025, "2 KB"),  # rounded up: never less than it is
        (340 * 1024, "340 KB"),
        (1024 * 1024 - 1, "1024 KB"),
        (1024 * 1024, "1,0 MB"),
        (int(2.5 * 1024 * 1024), "2,5 MB"),
        (int(1.2 * 1024**3), "1,2 GB"),
    ],
)
def test_file_sizes_are_written_the_vietnamese_way(size, text):
    assert file_size(size) == text


def test_a_decimal_takes_a_comma():
    assert decimal(12.44) == "12,4"
    assert decimal(3, places=2) == "3,00"


def test_the_pages_and_the_documents_use_the_same_words(app):
    """The evidence list's filter is this function, not a second copy of the rule."""
    assert app.jinja_env.filters["filesize"] is file_size
