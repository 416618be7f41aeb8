"""What the operator's commands share: refusing with every problem listed, in Vietnamese."""

import sys
from typing import NoReturn

import click


def fail(title: str, problems: list[str]) -> NoReturn:
    click.echo(f"Lỗi: {title}", err=True)
    for problem in problems:
        click.echo(f"  - {problem}", err=True)
    sys.exit(1)
