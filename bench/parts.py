"""The parts of the benchmark, each measured against one database (see run.py for the order)."""

import json
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import upload_memory
import verify
import weight
from datasets import Dataset
from server import Server, pinned
from sqlalchemy import create_engine, text

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
# Every virtual user logs in once; the run raises the failed-login limits so that a slip of
# the load generator cannot lock its own accounts (successful logins are not counted anyway).
# One line per failed request: SQLAlchemy's own line of the traceback the app logs.
DATABASE_LOCKED = "OperationalError) database is locked"
LOGIN_LIMITS = {"LOGIN_LIMIT_PER_ACCOUNT": "100000 per minute", "LOGIN_LIMIT_PER_IP": "100000 per minute"}


class Context:
    """What every part needs: settings, where to write, which cores each side runs on."""

    def __init__(
        self,
        settings: dict,
        workdir: Path,
        server_cpus: set[int] | None,
        load_cpus: set[int] | None,
        log,
        keep: bool = False,
    ):
        self.settings, self.workdir, self.log, self.keep = settings, workdir, log, keep
        self.server_cpus, self.load_cpus = server_cpus, load_cpus

    def app_server(self, dataset: Dataset, name: str, **env) -> Server:
        return Server(
            "wsgi:app",
            dataset.env(**LOGIN_LIMITS, **env),
            self.workdir / f"{dataset.dialect}-{name}.log",
            server=self.settings["server"],
            workers=self.settings["workers"],
            threads=self.settings["threads"],
            cpus=self.server_cpus,
        )

    def loadgen(self, name: str, config: dict) -> dict:
        """Run the load generator in a process of its own (pinned to its cores) and read its result."""
        config_path, out_path = self.workdir / f"{name}.config.json", self.workdir / f"{name}.out.json"
        config_path.write_text(json.dumps(config, ensure_ascii=False))
        timeout = config.get("duration", 0) + 900
        result = subprocess.run(
            [sys.executable, str(BENCH / "loadgen.py"), str(config_path), str(out_path)],
            cwd=ROOT,
            timeout=timeout,
            preexec_fn=pinned(self.load_cpus),
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(f"the load generator failed ({name}):\n{result.stderr[-4000:]}")
        return json.loads(out_path.read_text())


@contextmanager
def explained(server: Server):
    """A failure while `server` runs comes with the end of its log (where the app's traceback is)."""
    try:
        yield
    except Exception as error:
        raise RuntimeError(f"{error}\n--- end of the server's log ---\n{server.log_tail()}") from error


def server_time(ctx: Context, sets: list[Dataset]) -> dict:
    """Server time and queries of the checklist, the rollup and its XLSX, in the app's process."""
    return in_app_times(ctx, "server_time.py", [(dataset.schools, dataset) for dataset in sets])


def in_app_times(ctx: Context, script: str, sets: list[tuple[int, Dataset]]) -> dict:
    """Run a timing script of bench/ (server_time.py, city_time.py) in its own process on the
    server's CPUs, over each (size, dataset), and read the JSON it writes."""
    out = ctx.workdir / f"{sets[0][1].dialect}-{script.removesuffix('.py')}.json"
    command = [sys.executable, str(BENCH / script), "--runs", str(ctx.settings["runs"]), "--out", str(out)]
    for size, dataset in sets:
        command += ["--database", f"{size}:{dataset.workdir}:{dataset.url}"]
    result = subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, "SECRET_KEY": sets[0][1].env()["SECRET_KEY"]},
        capture_output=True,
        text=True,
        timeout=3600,
        preexec_fn=pinned(ctx.server_cpus),
    )
    if result.returncode != 0:
        raise RuntimeError(f"{script} failed:\n{result.stderr[-4000:]}")
    return json.loads(out.read_text())


def floor(ctx: Context, dialect: str) -> dict:
    """Requests per second of a trivial Flask route in the same server configuration."""
    with (
        Server(
            "bench.floor_app:app",
            {},
            ctx.workdir / f"{dialect}-floor.log",
            server=ctx.settings["server"],
            workers=ctx.settings["workers"],
            threads=ctx.settings["threads"],
            cpus=ctx.server_cpus,
        ) as server,
        explained(server),
    ):
        result = ctx.loadgen(
            f"{dialect}-floor",
            {
                "scenario": "floor",
                "base": server.url,
                "duration": ctx.settings["rps_duration"],
                "warmup": ctx.settings["warmup"],
                "concurrency": ctx.settings["concurrency"],
                "server_pids": server.pids(),
            },
        )
    return result


def status_change(ctx: Context, dataset: Dataset, floor_result: dict | None) -> dict:
    """The item status change, back to back from `concurrency` staff users, each on its own item."""
    with ctx.app_server(dataset, "status") as server, explained(server):
        since = verify.audit_seq(dataset.url)
        result = ctx.loadgen(
            f"{dataset.dialect}-status",
            {
                "scenario": "status",
                "base": server.url,
                "duration": ctx.settings["rps_duration"],
                "warmup": ctx.settings["warmup"],
                "server_pids": server.pids(),
                "concurrency": ctx.settings["concurrency"],
                "accounts": dataset.accounts,
            },
        )
        result["database_locked"] = server.count_in_log(DATABASE_LOCKED)
    result["verification"] = verify.check(dataset.url, dataset.workdir / "evidence", result.pop("writes"), since)
    if floor_result and floor_result.get("rps"):
        result["ratio_to_floor"] = round(result["rps"] / floor_result["rps"], 3)
    result.update(schools=dataset.schools, wards=dataset.wards)
    return result


def mixed(ctx: Context, dataset: Dataset) -> dict:
    """Staff, supervisors and admins with think time for a fixed time; then every write is checked."""
    settings = ctx.settings
    with ctx.app_server(dataset, "mixed") as server, explained(server):
        since = verify.audit_seq(dataset.url)
        result = ctx.loadgen(
            f"{dataset.dialect}-mixed",
            {
                "scenario": "mixed",
                "base": server.url,
                "duration": settings["duration"],
                "vus": settings["vus"],
                "think": settings["think"],
                "accounts": dataset.accounts,
                "server_pids": server.pids(),
            },
        )
        result["database_locked"] = server.count_in_log(DATABASE_LOCKED)
        result["server_log_errors"] = server.count_in_log(" ERROR ")
    result["verification"] = verify.check(dataset.url, dataset.workdir / "evidence", result.pop("writes"), since)
    result.update(vus=settings["vus"], schools=dataset.schools, wards=dataset.wards)
    return result


def page_weight(ctx: Context, dataset: Dataset) -> dict:
    with ctx.app_server(dataset, "weight") as server, explained(server):
        result = weight.measure(server.url, dataset.accounts)
    result["schools"] = dataset.schools
    return result


def upload(ctx: Context, dataset: Dataset) -> dict:
    """Worker memory while a large file streams in, with the upload limit raised for this run."""
    size_mb = ctx.settings["upload_mb"]
    with ctx.app_server(dataset, "upload", MAX_UPLOAD_MB=str(max(300, size_mb + 50))) as server, explained(server):
        workers = server.worker_pids()
        result = upload_memory.measure(server.url, workers[0], dataset.accounts, size_mb)
    engine = create_engine(dataset.url)
    with engine.connect() as connection:
        stored = connection.execute(
            text("SELECT COUNT(*) FROM evidence_file WHERE item_id = :item AND size = :size"),
            {"item": result["item"], "size": size_mb * upload_memory.MB},
        ).scalar()
    engine.dispose()
    result.update(stored=bool(stored), max_upload_mb=max(300, size_mb + 50))
    return result


def jobs(ctx: Context, dataset: Dataset) -> dict:
    """Time to first byte of the rollup and ward report pages while the worker makes the ward's XLSX
    (bench/jobs_ttfb.py); server and worker share the server's cores, as under `make run`."""
    import jobs_ttfb

    env = dataset.env(**LOGIN_LIMITS, JOB_MIN_SCHOOLS="1")
    log_path = ctx.workdir / f"{dataset.dialect}-worker.log"
    with ctx.app_server(dataset, "jobs", JOB_MIN_SCHOOLS="1") as server, explained(server):
        with log_path.open("ab") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "aiplan", "worker", "--threads", "2"],
                cwd=ROOT,
                env={**os.environ, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=pinned(ctx.server_cpus),
            )
        try:
            deadline = time.monotonic() + 120  # the worker is ready when Huey's consumer says so
            while "consumer started" not in log_path.read_text(errors="replace"):
                if worker.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the worker did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
                time.sleep(0.2)
            result = jobs_ttfb.measure(
                server.url,
                dataset.accounts["ward_admin"][0],
                dataset.accounts["password"],
                idle_runs=ctx.settings["runs"] * 2,
                duration=ctx.settings["rps_duration"],
                log=ctx.log,
            )
        finally:
            worker.terminate()
            worker.wait(30)
    result.update(schools=dataset.schools, worker_log_errors=log_path.read_text(errors="replace").count(" ERROR"))
    return result
