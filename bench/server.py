"""The app's server for the benchmark, started as `make run` starts it, on a free port of 127.0.0.1.

`waitress` (the default) is `make run`'s and production's command, `python wsgi.py --host … --port …`
(aiplan/serving.py: one process, eight threads, requests read whole before a thread sees them);
the floor app is served by the same code (`python bench/floor_app.py …`). `gunicorn` is what
`make run` used before (`--workers 1 --threads 8`, gthread), kept for comparison. With `cpus`,
the server is pinned to those cores so that it and the load generator do not share one.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent


SERVERS = ("waitress", "gunicorn")
# The module each app spec lives in, run as a script to be served by aiplan/serving.py.
SCRIPTS = {"wsgi:app": "wsgi.py", "bench.floor_app:app": "bench/floor_app.py"}


def describe(server: str, workers: int = 1, threads: int = 8) -> str:
    """The command line, as the results and docs/benchmarks.md show it."""
    if server == "waitress":
        return f"python wsgi.py --host 127.0.0.1 --port <free port> --threads {threads}"
    return f"gunicorn --workers {workers} --threads {threads} --bind 127.0.0.1:<free port> wsgi:app"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pinned(cpus: set[int] | None):
    """A preexec_fn that pins the child (and so its children) to `cpus`."""
    if not cpus:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


class Server:
    """The server process (and gunicorn's workers); `with Server(...) as server:` starts and stops it."""

    def __init__(
        self,
        app_spec: str,
        env: dict,
        log_path: Path,
        *,
        server: str = "waitress",
        workers: int = 1,
        threads: int = 8,
        cpus: set[int] | None = None,
    ):
        if server == "waitress" and workers != 1:
            raise ValueError("waitress serves from one process: --workers is for gunicorn")
        self.app_spec, self.env, self.log_path, self.cpus = app_spec, env, log_path, cpus
        self.server, self.workers, self.threads = server, workers, threads
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def command(self) -> list[str]:
        if self.server == "waitress":
            return [
                sys.executable,
                SCRIPTS[self.app_spec],
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--threads",
                str(self.threads),
            ]
        # No control socket: gunicorn's default path is shared by every gunicorn of the user,
        # and a benchmark must not take it from a server someone else is running.
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--no-control-socket",
            self.app_spec,
        ]

    def __enter__(self) -> "Server":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self, timeout: float = 90) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=pinned(self.cpus),
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.server} exited with {self.process.returncode}; see {self.log_path}:\n" + self.log_tail()
                )
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.server} did not answer /healthz within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def worker_pids(self) -> list[int]:
        """The processes that run the app: gunicorn's workers, or waitress's one process."""
        if self.server == "waitress":
            return [self.process.pid]
        return [child.pid for child in psutil.Process(self.process.pid).children()]

    def pids(self) -> list[int]:
        """Every process of the server (gunicorn's master and its workers)."""
        return sorted({self.process.pid, *self.worker_pids()})

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def count_in_log(self, needle: str) -> int:
        return sum(1 for line in self.log_text().splitlines() if needle in line)
