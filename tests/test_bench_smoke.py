"""`make bench`'s smoke run: every part of the benchmark runs against gunicorn and yields numbers.

The full suite takes 10–20 minutes (docs/benchmarks.md); this runs the same code with tiny sizes
and durations on SQLite, so a change that breaks the instrument (a renamed form field, a new
redirect, a page the load generator can no longer parse) fails here rather than on the day
someone needs the numbers.
"""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _missing() -> str | None:
    absent = [name for name in ("aiohttp", "psutil") if importlib.util.find_spec(name) is None]
    if absent:
        return f"the benchmark needs {', '.join(absent)}: pip install -e '.[dev]'"
    if not os.path.exists(CHROMIUM):
        return f"Chromium not found at {CHROMIUM}; the page-weight part needs it (or set CHROMIUM_PATH)"
    return None


def _numbers(value) -> list:
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    return [value] if isinstance(value, (int, float)) and not isinstance(value, bool) else []


def test_the_smoke_run_measures_every_part_without_errors(tmp_path):
    missing = _missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)
    out = tmp_path / "results.json"
    run = subprocess.run(
        [sys.executable, "bench/run.py", "--smoke", "--database", "sqlite", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=480,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    results = json.loads(out.read_text())
    section = results["databases"]["sqlite"]
    assert section["errors"] == {}
    assert "| goal | database | measured | met? |" in (tmp_path / "results.md").read_text()

    assert section["floor"]["rps"] > 0 and section["floor"]["errors"] == 0
    status = section["status_change"]
    assert status["rps"] > 0 and status["p95_ms"] > 0 and status["errors"] == 0 and status["ratio_to_floor"] > 0
    assert status["verification"]["acknowledged_writes"] > 0 and status["verification"]["lost_writes"] == 0

    assert set(section["server_time"]) == {"2", "4"}
    for pages in section["server_time"].values():
        for page in ("checklist", "rollup", "rollup_xlsx"):
            assert pages[page]["median_ms"] > 0 and pages[page]["queries"] > 0

    mixed = section["mixed"]
    assert mixed["requests"] > 0 and mixed["errors"] == 0 and mixed["database_locked"] == 0
    assert mixed["login"]["failures"] == []
    assert mixed["verification"]["acknowledged_writes"] > 0
    assert mixed["verification"]["lost_writes"] == 0 and mixed["verification"]["final_state_mismatches"] == 0

    for page in ("login", "checklist", "inspection", "rollup"):
        weight = section["page_weight"][page]
        assert weight["requests"] >= 4 and weight["wire_bytes_gzip"] > 1000  # the page, CSS, htmx, app.js

    upload = section["upload_memory"]
    assert upload["status"] == 200 and upload["stored"] and upload["peak_rss_mb"] >= upload["baseline_rss_mb"] > 0
    jobs = section["jobs"]  # the pages' time to first byte while the worker makes the XLSX
    assert jobs["xlsx_jobs"] >= 1 and jobs["worker_log_errors"] == 0
    for page in ("/rollup", "/ward/report"):
        assert jobs["idle"][page]["median_ms"] > 0 and jobs["during_xlsx_job"][page]["runs"] > 0
    city = section["city"]  # generate-demo --city, gunicorn, the Sở among the users
    assert city["wards"] == 3 and city["small_wards"] == 2 and city["workers"] == 1  # two on PostgreSQL
    for wards in ("2", "3"):
        assert (
            city["server_time"][wards]["city"]["queries"] > 0 and city["server_time"][wards]["rollup"]["median_ms"] > 0
        )
    assert city["server_time"]["2"]["city"]["queries"] == city["server_time"]["3"]["city"]["queries"]
    for load in (city["status_change"], city["mixed"]):
        assert load["requests"] > 0 and load["errors"] == 0 and load["cpu_ms_per_request"] > 0
        assert load["verification"]["acknowledged_writes"] > 0 and load["verification"]["lost_writes"] == 0
    assert city["mixed"]["users"]["city"] >= 1 and city["mixed"]["by_label"]["city"]["requests"] > 0
    assert city["mixed"]["server_log_errors"] == 0
    assert all(n == n for n in _numbers(section))  # no NaN anywhere
    assert {row["database"] for row in results["goals"]} == {"SQLite"}
