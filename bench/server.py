"""Gunicorn for the benchmark: the production options, a free port on 127.0.0.1, a log file.

The options are those of `make run` (one process, eight threads, so the in-memory login
rate limit holds); the floor app is served with exactly the same ones. With `cpus`, the
server is pinned to those cores so that it and the load generator do not share one.
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


def gunicorn_options(workers: int = 1, threads: int = 8) -> list[str]:
    return ["--workers", str(workers), "--threads", str(threads)]


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
    """One gunicorn master with its workers; `with Server(...) as server:` starts and stops it."""

    def __init__(self, app_spec: str, env: dict, log_path: Path, *, workers: int = 1, threads: int = 8,
                 cpus: set[int] | None = None):
        self.app_spec, self.env, self.log_path, self.cpus = app_spec, env, log_path, cpus
        self.options = gunicorn_options(workers, threads)
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def command(self) -> list[str]:
        # No control socket: gunicorn's default path is shared by every gunicorn of the user,
        # and a benchmark must not take it from a server someone else is running.
        return ["gunicorn", *self.options, "--bind", f"127.0.0.1:{self.port}", "--no-control-socket", self.app_spec]

    def __enter__(self) -> "Server":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self, timeout: float = 90) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", *self.command], cwd=ROOT, env={**os.environ, **self.env},
            stdout=log, stderr=subprocess.STDOUT, preexec_fn=pinned(self.cpus))
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log_path}:\n"
                                   + self.log_tail())
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer /healthz within {timeout:.0f} s:\n{self.log_tail()}")

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
        return [child.pid for child in psutil.Process(self.process.pid).children()]

    def pids(self) -> list[int]:
        """The master and its workers."""
        return [self.process.pid, *self.worker_pids()]

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def count_in_log(self, needle: str) -> int:
        return sum(1 for line in self.log_text().splitlines() if needle in line)
