"""What the numbers were measured on: cores, CPU model, memory, Python, packages, load."""

import os
import platform
import subprocess
import sys
from importlib import metadata

import psutil


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def describe(server_cpus: set[int] | None, load_cpus: set[int] | None) -> dict:
    def version(package: str) -> str | None:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return None

    available = sorted(os.sched_getaffinity(0))
    return {
        "cores": os.cpu_count(),
        "cores_available": len(available),
        "cpu_model": cpu_model(),
        "ram_gb": round(psutil.virtual_memory().total / 1024**3, 1),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": {
            name: version(name)
            for name in (
                "flask",
                "waitress",
                "gunicorn",
                "sqlalchemy",
                "psycopg",
                "werkzeug",
                "flask-compress",
                "aiohttp",
                "playwright",
            )
        },
        "server_cpus": sorted(server_cpus) if server_cpus else available,
        "load_generator_cpus": sorted(load_cpus) if load_cpus else available,
    }


def code_state(root) -> dict:
    """Which code was measured: the commit, and how many files differed from it."""

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=30).stdout.strip()
        except OSError:
            return ""

    return {
        "commit": git("rev-parse", "--short", "HEAD") or None,
        "uncommitted_files": len([line for line in git("status", "--porcelain").splitlines() if line]),
    }
