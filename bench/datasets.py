"""The benchmark's databases: one per database engine and size, filled by `generate-demo`.

A size for server time is ONE ward (the bundled Long Biên ward, accounts d000.…), so that
the ward's rollup really covers all of its schools; generate-demo adds at most 999 schools
per call, so larger sizes are built with --append in steps of 999. The database under load
can be split into several wards ("Phường Demo 001"…, accounts d001.…), like the city the app
is meant to grow into; a city database (`city`) is `generate-demo --city` with as many wards
as asked, the Sở's accounts included (bench/city.py). SQLite databases live in a temporary
instance folder; PostgreSQL ones in a schema of their own (bench_s<size>[w<wards>], bench_c<wards>x
<schools per ward>), made here and dropped afterwards; no
other schema is touched.
"""

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "demo-aiplan-2026"  # generate-demo's default: every demo account has it
SECRET_KEY = "bench-secret-key-not-for-production"
STEP = 999  # generate-demo's largest --schools-per-ward
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass
class Dataset:
    dialect: str  # "sqlite" or "postgresql"
    schools: int
    workdir: Path  # the instance folder: evidence store, secret key, SQLite file
    url: str
    schema: str | None = None
    wards: int = 1
    city: bool = False
    seconds: float = 0.0  # how long generate-demo took
    accounts: dict = field(default_factory=dict)

    def env(self, **extra) -> dict:
        return {
            "DATABASE_URL": self.url,
            "AIPLAN_INSTANCE": str(self.workdir),
            "SECRET_KEY": SECRET_KEY,
            "EVIDENCE_DIR": str(self.workdir / "evidence"),
            **extra,
        }


def postgres_url(base: str, schema: str) -> str:
    joiner = "&" if "?" in base else "?"
    return f"{base}{joiner}options={quote('-csearch_path=' + schema, safe='')}"


def build(
    dialect: str,
    schools: int,
    root: Path,
    *,
    wards: int = 1,
    city: bool = False,
    files_per_school: int,
    max_file_kb: int,
    postgres_base: str = DEFAULT_POSTGRES,
    log=print,
) -> Dataset:
    """A fresh database with `schools` demo schools in `wards` wards (equal shares), and its accounts."""
    name = f"c{wards}x{schools // wards}" if city else f"s{schools}" + (f"w{wards}" if wards > 1 else "")
    workdir = root / f"{dialect}-{name}"
    workdir.mkdir(parents=True, exist_ok=True)
    if dialect == "sqlite":
        dataset = Dataset(dialect, schools, workdir, f"sqlite:///{workdir / 'aiplan.sqlite3'}")
    else:
        schema = f"bench_{name}"
        dataset = Dataset(dialect, schools, workdir, postgres_url(postgres_base, schema), schema)
        _reset_schema(postgres_base, schema)
    dataset.wards, dataset.city = wards, city
    started = time.perf_counter()
    files = ["--seed", "7", "--files-per-school", str(files_per_school), "--max-file-kb", str(max_file_kb)]
    if wards > 1 or city:
        shape = ["--wards", str(wards), "--schools-per-ward", str(schools // wards)]
        _flask(dataset, "generate-demo", *(["--city"] if city else []), *shape, *files)
    remaining, first = (schools if wards == 1 and not city else 0), True
    while remaining > 0:
        step = min(STEP, remaining)
        _flask(
            dataset,
            "generate-demo",
            "--wards",
            "1",
            "--schools-per-ward",
            str(step),
            *files,
            *([] if first else ["--append"]),
        )
        remaining, first = remaining - step, False
    dataset.seconds = time.perf_counter() - started
    dataset.accounts = load_accounts(dataset)
    log(f"  {dialect}: {schools} schools in {wards} ward(s) generated in {dataset.seconds:.0f} s")
    return dataset


def drop(dataset: Dataset, postgres_base: str = DEFAULT_POSTGRES) -> None:
    if dataset.schema:
        engine = create_engine(postgres_base)
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{dataset.schema}" CASCADE'))
        engine.dispose()


def _reset_schema(base: str, schema: str) -> None:
    assert schema.startswith("bench_"), schema  # never anyone else's schema
    engine = create_engine(base)
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()


def _flask(dataset: Dataset, *args: str) -> None:
    command = [sys.executable, "-m", "flask", "--app", "aiplan", *args]
    result = subprocess.run(command, cwd=ROOT, env={**os.environ, **dataset.env()}, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")


def load_accounts(dataset: Dataset) -> dict:
    """The demo accounts by role; school staff with their school's slug."""
    engine = create_engine(dataset.url)
    with engine.connect() as connection:
        # Staff of the schools with the most on their page first: pilots, with a self-evaluation
        # (one more query on the checklist), with the most files; so each size shows the same kind.
        rows = connection.execute(
            text(
                "SELECT u.username, u.role, s.slug, s.is_pilot, "
                "(SELECT COUNT(*) FROM self_evaluation e WHERE e.school_id = s.id) AS evaluations, "
                "(SELECT COUNT(*) FROM evidence_file f WHERE f.school_id = s.id) AS files "
                'FROM "user" u LEFT JOIN school s ON s.id = u.school_id WHERE u.is_enabled '
                "ORDER BY s.is_pilot DESC, evaluations DESC, files DESC, u.id"
            )
        ).all()
        version = connection.execute(
            text("SELECT sqlite_version()" if dataset.dialect == "sqlite" else "SHOW server_version")
        ).scalar()
    engine.dispose()
    accounts = {
        "password": PASSWORD,
        "staff": [],
        "supervisor": [],
        "ward_admin": [],
        "viewer": [],
        "city_admin": [],
        "city_viewer": [],
        "server_version": version,
    }
    for username, role, slug, *_ in rows:
        if role == "school_staff":
            accounts["staff"].append([username, slug])
        elif role in accounts:
            accounts[role].append(username)
    return accounts
