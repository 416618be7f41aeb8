"""`make bench`: the benchmark suite against the app as `make run` serves it, on SQLite and PostgreSQL.

Usage: .venv/bin/python bench/run.py [--smoke] [--only PART] [--database sqlite|postgresql|both]
                                     [--city-wards 5,126]
                                     [--server waitress|gunicorn] [--vus 200] [--duration 120] …
Writes bench/results.json and bench/results.md (a full run), bench/results-smoke.* (--smoke)
or bench/results-partial.* (anything less than a full run); see docs/benchmarks.md.
PostgreSQL (BENCH_POSTGRES_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/test) must be
running: the run uses schemas of its own (bench_s<size>) and drops them at the end.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

import city
import datasets
import machine
import parts
import report
import server

BENCH = Path(__file__).resolve().parent
PARTS = ("server-time", "weight", "upload", "floor", "status", "mixed", "jobs", "city")  # the order they run in
FULL = {
    "sizes": [30, 300, 3000],
    "load_schools": 300,
    "load_wards": 10,
    "vus": 200,
    "duration": 120,
    "think": [1.0, 5.0],
    "rps_duration": 20,
    "warmup": 1.0,
    "concurrency": 16,
    "upload_mb": 200,
    "runs": 5,
    "city_wards": [5, 126],  # the city part: a small city and Hà Nội (PostgreSQL only, two gunicorn workers)
    "city_schools_per_ward": 24,
}
SMOKE = {
    "sizes": [2, 4],
    "load_schools": 4,
    "load_wards": 1,
    "vus": 4,
    "duration": 2,
    "think": [0.2, 1.0],
    "rps_duration": 1,
    "warmup": 0.3,
    "concurrency": 4,
    "upload_mb": 20,
    "runs": 1,
    "city_wards": [2, 3],
    "city_schools_per_ward": 3,
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="seconds-long version: tiny sizes and durations")
    parser.add_argument("--only", choices=PARTS, action="append", help="run only this part (repeatable)")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--vus", type=int, help="virtual users of the mixed load (200)")
    parser.add_argument("--duration", type=int, help="seconds of the mixed load (120)")
    parser.add_argument("--think", help="think time between a user's actions, LOW,HIGH seconds (1,5)")
    parser.add_argument("--sizes", help="schools in the server-time databases, comma-separated (30,300,3000)")
    parser.add_argument("--load-schools", type=int, help="schools in the database under load (300)")
    parser.add_argument("--load-wards", type=int, help="wards they are split into (10: 30 schools each)")
    parser.add_argument("--rps-duration", type=int, help="seconds of the floor and status-change runs (20)")
    parser.add_argument("--concurrency", type=int, help="connections of the floor and status-change runs (16)")
    parser.add_argument("--upload-mb", type=int, help="size of the streamed upload (200)")
    parser.add_argument("--runs", type=int, help="timed requests per page for server time (5)")
    parser.add_argument(
        "--s3", action="store_true", help="the city part's server keeps evidence in SeaweedFS's S3 (weed mini)"
    )
    parser.add_argument("--city-wards", help="wards of the city part's two databases, SMALL,CITY (5,126)")
    parser.add_argument(
        "--city-database",
        metavar="URL,INSTANCE",
        help="the city part's large city: a database `generate-demo --city` already filled (and its instance "
        "folder), used instead of generating one; the run writes to it and never drops it",
    )
    parser.add_argument(
        "--server",
        choices=server.SERVERS,
        default="waitress",
        help="waitress: `make run`'s server (default); gunicorn: its gthread worker, as before",
    )
    parser.add_argument("--workers", type=int, default=1, help="gunicorn's workers (1; waitress has one process)")
    parser.add_argument("--threads", type=int, default=8, help="the server's threads (8, as `make run`)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin server and load generator to cores")
    parser.add_argument("--keep", action="store_true", help="keep the databases, logs and schemas")
    parser.add_argument("--out", help="results file (default: see above); the .md is written beside it")
    args = parser.parse_args(argv)
    settings = dict(SMOKE if args.smoke else FULL)
    for key in ("vus", "duration", "load_schools", "load_wards", "rps_duration", "concurrency", "upload_mb", "runs"):
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    if args.think:
        settings["think"] = [float(x) for x in args.think.split(",")]
    if args.sizes:
        settings["sizes"] = [int(x) for x in args.sizes.split(",")]
    settings["city_database"] = args.city_database
    settings["s3"] = args.s3
    if args.city_wards:
        settings["city_wards"] = [int(x) for x in args.city_wards.split(",")]
    if args.server == "waitress" and args.workers != 1:
        parser.error("waitress serves from one process: --workers is for --server gunicorn")
    settings.update(
        smoke=args.smoke,
        server=args.server,
        workers=args.workers,
        threads=args.threads,
        server_command=server.describe(args.server, args.workers, args.threads),
    )
    args.settings = settings
    full = (
        not args.smoke
        and not args.only
        and args.database == "both"
        and settings
        == {
            **FULL,
            "smoke": False,
            "city_database": None,
            "s3": False,
            "server": "waitress",
            "workers": 1,
            "threads": 8,
            "server_command": server.describe("waitress"),
        }
    )
    args.out = (
        Path(args.out)
        if args.out
        else BENCH / ("results.json" if full else "results-smoke.json" if args.smoke else "results-partial.json")
    )
    return args


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def bench_database(dialect: str, wanted: set[str], ctx: parts.Context, postgres: str) -> dict:
    """Every wanted part against one database engine; a failing part is recorded and the rest go on."""
    settings = ctx.settings
    section, built = {"errors": {}, "seconds": {}, "datasets": {}}, {}
    small = min(settings["sizes"])
    load = (settings["load_schools"], settings["load_wards"])

    def dataset(size: int, wards: int = 1, city_run: bool = False) -> datasets.Dataset:
        given = settings.get("city_database")
        if city_run and given and wards == settings["city_wards"][1] and (size, wards, city_run) not in built:
            url, instance = given.split(",", 1)
            data = datasets.Dataset(dialect, size, Path(instance), url, wards=wards, city=True)
            data.accounts = datasets.load_accounts(data)
            built[size, wards, city_run] = data
            section["datasets"][f"{size} schools, {wards} ward(s) (--city, given)"] = {"url": url}
        if (size, wards, city_run) not in built:
            files, max_kb = (4, 256) if size // wards <= 30 and not city_run else (2, 64) if size <= 300 else (1, 16)
            data = datasets.build(
                dialect,
                size,
                ctx.workdir / "data",
                wards=wards,
                city=city_run,
                files_per_school=files,
                max_file_kb=max_kb,
                postgres_base=postgres,
                log=log,
            )
            built[size, wards, city_run] = data
            section["datasets"][f"{size} schools, {wards} ward(s)" + (" (--city)" if city_run else "")] = {
                "seconds": round(data.seconds, 1),
                "files_per_school": files,
                "max_file_kb": max_kb,
            }
            section["version"] = data.accounts["server_version"]
        return built[size, wards, city_run]

    def run(part: str, key: str, measure) -> None:
        if part not in wanted:
            return
        log(f"{dialect}: {part}")
        started = time.perf_counter()
        try:
            section[key] = measure()
        except Exception:  # noqa: BLE001 — recorded in the results; the other parts still run
            section["errors"][part] = traceback.format_exc()
            log(f"{dialect}: {part} failed:\n{section['errors'][part]}")
        section["seconds"][part] = round(time.perf_counter() - started, 1)

    try:
        run("server-time", "server_time", lambda: parts.server_time(ctx, [dataset(n) for n in settings["sizes"]]))
        run("weight", "page_weight", lambda: parts.page_weight(ctx, dataset(small)))
        run("upload", "upload_memory", lambda: parts.upload(ctx, dataset(small)))
        run("floor", "floor", lambda: parts.floor(ctx, dialect))
        run("status", "status_change", lambda: parts.status_change(ctx, dataset(*load), section.get("floor")))
        run("mixed", "mixed", lambda: parts.mixed(ctx, dataset(*load)))
        # The largest server-time size (3,000 schools): its XLSX made by the worker while pages are fetched.
        run("jobs", "jobs", lambda: parts.jobs(ctx, dataset(max(settings["sizes"]))))
        # The city on PostgreSQL, as deployed (two gunicorn workers); the smoke run checks it on either.
        if dialect == "postgresql" or ctx.settings.get("smoke"):
            run(
                "city",
                "city",
                lambda: city.measure(
                    ctx, dialect, lambda w, n: dataset(w * n, w, True), parts.LOGIN_LIMITS, parts.explained
                ),
            )
    finally:
        if not ctx.keep:
            for data in built.values():
                datasets.drop(data, postgres)
    return section


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    settings = args.settings
    cores = sorted(os.sched_getaffinity(0))
    server_cpus, load_cpus = ({cores[0]}, set(cores[1:])) if len(cores) >= 2 and not args.no_pin else (None, None)
    workdir = Path(tempfile.mkdtemp(prefix="aiplan-bench-"))
    ctx = parts.Context(settings, workdir, server_cpus, load_cpus, log, keep=args.keep)
    postgres = os.environ.get("BENCH_POSTGRES_URL", datasets.DEFAULT_POSTGRES)
    dialects = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    wanted = set(args.only or PARTS)
    results = {
        "smoke": args.smoke,
        "started_at": _now(),
        "command": " ".join(sys.argv),
        "machine": machine.describe(server_cpus, load_cpus),
        "code": machine.code_state(BENCH.parent),
        "settings": settings,
        "parts": [p for p in PARTS if p in wanted],
        "databases": {},
    }
    log(f"work folder {workdir}; results to {args.out}")
    try:
        for dialect in dialects:
            results["databases"][dialect] = bench_database(dialect, wanted, ctx, postgres)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    results["finished_at"] = _now()
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["goals"] = report.goals(results)
    args.out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    args.out.with_suffix(".md").write_text(report.markdown(results))
    log(f"wrote {args.out} and {args.out.with_suffix('.md')}")
    print(report.markdown(results))
    return 1 if any(section["errors"] for section in results["databases"].values()) else 0


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


if __name__ == "__main__":
    sys.exit(main())
