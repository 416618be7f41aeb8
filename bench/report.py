"""The goals of issue 7 checked against the measurements, and the Markdown table."""

KB = 1024
PAGES = ("login", "checklist", "inspection", "rollup")
SERVER_PAGES = (("checklist", "/schools/&lt;slug&gt;"), ("rollup", "/rollup"), ("rollup_xlsx", "/rollup.xlsx"))
NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def _get(data: dict, *path, default=None):
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return default
        data = data[key]
    return data


def goals(results: dict) -> list[dict]:
    """One row per goal and database: the goal, what was measured, and whether it is met."""
    rows = []
    settings = results["settings"]
    for name, db in results["databases"].items():
        label = NAMES[name]
        status, floor = db.get("status_change", {}), db.get("floor", {})
        if status.get("ratio_to_floor") is not None:
            rows.append(
                _row(
                    "status change ≥ 40% of the floor's requests/s",
                    label,
                    f"{status['rps']:.0f} / {floor['rps']:.0f} rps = {status['ratio_to_floor']:.0%}",
                    status["ratio_to_floor"] >= 0.40,
                )
            )
        sizes = db.get("server_time", {})
        if len(sizes) >= 2:
            for key, page in SERVER_PAGES:
                counts = {size: _get(parts, key, "queries") for size, parts in sizes.items()}
                rows.append(
                    _row(
                        f"fixed query count of {page} at any size",
                        label,
                        " / ".join(f"{c}" for c in counts.values()) + f" at {' / '.join(counts)} schools",
                        len(set(counts.values())) == 1 and None not in counts.values(),
                    )
                )
        largest = max(sizes, key=int) if sizes else None
        if name == "postgresql" and largest:
            ms = _get(sizes, largest, "rollup", "median_ms")
            rows.append(
                _row(
                    "/rollup at 3,000 schools < 300 ms server time (PostgreSQL)",
                    label,
                    f"{ms:.0f} ms at {int(largest):,} schools",
                    ms < 300 if largest == "3000" else None,
                )
            )
        mixed = db.get("mixed")
        if mixed and "p95_ms" in mixed:
            lost = _get(mixed, "verification", "lost_writes", default=1) + _get(
                mixed, "verification", "final_state_mismatches", default=0
            )
            full = settings["vus"] >= 200 and settings["duration"] >= 120
            errors = mixed["errors"] + _login_errors(mixed)
            measured = (
                f"{mixed['vus']} VUs × {mixed['duration_s']:.0f} s: {errors} errors, {lost} lost "
                f"writes, p95 {mixed['p95_ms']:.0f} ms"
            )
            met = errors == 0 and lost == 0 and mixed["p95_ms"] < 300
            rows.append(
                _row(
                    "200 virtual users, 2 min: no errors, no lost writes, p95 < 300 ms",
                    label,
                    measured,
                    met if full else None,
                )
            )
        weight = db.get("page_weight", {})
        for page in PAGES:
            if page in weight:
                w = weight[page]
                rows.append(
                    _row(
                        f"first load of {page} < 60 KB on the wire, ≤ 6 requests",
                        label,
                        f"{w['wire_bytes_gzip'] / KB:.1f} KB, {w['requests']} requests",
                        w["wire_bytes_gzip"] < 60 * KB and w["requests"] <= 6,
                    )
                )
        upload = db.get("upload_memory")
        if upload and "growth_mb" in upload:
            rows.append(
                _row(
                    "upload memory growth < 32 MB for a 200 MB file",
                    label,
                    f"+{upload['growth_mb']:.1f} MB ({upload['baseline_rss_mb']:.0f} → "
                    f"{upload['peak_rss_mb']:.0f} MB) for {upload['file_mb']} MB, HTTP {upload['status']}",
                    upload["growth_mb"] < 32 and upload["status"] == 200 if upload["file_mb"] >= 200 else None,
                )
            )
    return rows


def _login_errors(mixed: dict) -> int:
    """Failed logins while the users arrived (before the timed window): errors all the same."""
    return max(len(mixed["login"]["failures"]), mixed["login"].get("errors", 0))


def _row(goal: str, database: str, measured: str, met: bool | None) -> dict:
    return {"goal": goal, "database": database, "measured": measured, "met": met}


def markdown(results: dict) -> str:
    machine, settings = results["machine"], results["settings"]
    databases = list(results["databases"])
    lines = [
        f"# Benchmark results{' (smoke run: tiny sizes, not for comparison)' if results['smoke'] else ''}",
        "",
        f"Measured {results['finished_at']} on {machine['cores']} cores ({machine['cpu_model']}), "
        f"{machine['ram_gb']} GB RAM, Python {machine['python']}, load average at start "
        f"{', '.join(map(str, machine['load_average_at_start']))}. "
        f"Server: `{settings.get('server_command') or settings['gunicorn']}` "
        f"pinned to CPU {_cpus(machine['server_cpus'])}; "
        f"load generator (a separate process) pinned to CPU {_cpus(machine['load_generator_cpus'])}; "
        "the databases are not pinned. "
        f"Code: commit {results['code']['commit']} with {results['code']['uncommitted_files']} "
        "uncommitted files.",
        "",
        "| measurement | "
        + " | ".join(NAMES[d] + f" {results['databases'][d].get('version', '')}" for d in databases)
        + " |",
        "|---|" + "---|" * len(databases),
    ]
    for label, cell in _measurements(results):
        lines.append(f"| {label} | " + " | ".join(cell(results["databases"][d]) for d in databases) + " |")
    lines += ["", "| goal | database | measured | met? |", "|---|---|---|---|"]
    for row in results["goals"]:
        met = {True: "yes", False: "**no**", None: "n/a (not the goal's size)"}[row["met"]]
        lines.append(f"| {row['goal']} | {row['database']} | {row['measured']} | {met} |")
    errors = [(d, part, message) for d in databases for part, message in results["databases"][d]["errors"].items()]
    if errors:
        lines += [
            "",
            "Parts that failed (the whole traceback is in the JSON file):",
            *[f"- {NAMES[d]} {part}: {_last_line(message)}" for d, part, message in errors],
        ]
    return "\n".join(lines) + "\n"


def _last_line(message: str) -> str:
    lines = [line for line in message.splitlines() if line.strip() and not line.startswith("---")]
    return lines[-1].strip() if lines else "?"


def _cpu(part: dict) -> str:
    """How busy the server and each core were during the timed window."""
    if "server_cpu_percent" not in part:
        return "CPU ?"
    cores = ", ".join(f"{n}%" for n in part["cores_busy_percent"])
    return (
        f"{part['server_cpu_percent']}% of a core, load generator {part['load_generator_cpu_percent']}% "
        f"(cores busy: {cores})"
    )


def _cpus(cpus: list[int]) -> str:
    return ",".join(map(str, cpus))


def _measurements(results: dict):
    settings = results["settings"]

    def floor(db):
        f = db.get("floor")
        return f"{f['rps']:.0f} req/s (p50 {f['p50_ms']} ms); server process {_cpu(f)}" if f and "rps" in f else "—"

    def status(db):
        s = db.get("status_change")
        if not s or "rps" not in s:
            return "—"
        ratio = f", {s['ratio_to_floor']:.0%} of floor" if s.get("ratio_to_floor") is not None else ""
        return (
            f"{s['rps']:.0f} req/s, p50 {s['p50_ms']} / p95 {s['p95_ms']} ms{ratio}; {s['errors']} errors; "
            f"server process {_cpu(s)}"
        )

    yield f"floor: trivial route, {settings['concurrency']} connections, {settings['rps_duration']} s", floor
    yield f"item status change, {settings['concurrency']} connections, {settings['rps_duration']} s", status
    sizes = sorted({size for db in results["databases"].values() for size in db.get("server_time", {})}, key=int)
    for key, page in SERVER_PAGES:
        for size in sizes:

            def cell(db, key=key, size=size):
                m = _get(db, "server_time", size, key)
                return f"{m['median_ms']:.0f} ms, {m['queries']} queries" if m else "—"

            yield f"{page} at {int(size):,} schools: server time (median), queries", cell

    def mixed(db):
        m = db.get("mixed")
        if not m or "rps" not in m:
            return "—"
        v = m.get("verification", {})
        login = f" (+{_login_errors(m)} while logging in)" if _login_errors(m) else ""
        return (
            f"{m['rps']:.0f} req/s, p50 {m['p50_ms']} / p95 {m['p95_ms']} ms; {m['errors']} errors{login}, "
            f"{m['conflicts_409']} × 409, {m['database_locked']} × “database is locked”; "
            f"server process {_cpu(m)}; "
            f"{v.get('acknowledged_writes', '?')} writes acknowledged, {v.get('lost_writes', '?')} lost, "
            f"{v.get('final_state_mismatches', '?')} final-state mismatches"
        )

    yield (
        f"mixed load: {settings['vus']} virtual users, {settings['duration']} s, think "
        f"{settings['think'][0]}–{settings['think'][1]} s; {settings['load_schools']} schools in "
        f"{settings['load_wards']} ward(s)",
        mixed,
    )
    for page in PAGES:

        def weight(db, page=page):
            w = _get(db, "page_weight", page)
            return f"{w['wire_bytes_gzip'] / KB:.1f} KB, {w['requests']} requests" if w else "—"

        yield f"first load of {page} (gzip, on the wire)", weight

    def upload(db):
        u = db.get("upload_memory")
        if not u or "growth_mb" not in u:
            return "—"
        return (
            f"{u['baseline_rss_mb']:.0f} → {u['peak_rss_mb']:.0f} MB (+{u['growth_mb']:.1f} MB), "
            f"HTTP {u['status']}, {u['mb_per_s']} MB/s"
        )

    yield f"worker RSS while uploading {settings['upload_mb']} MB", upload

    for page in ("/rollup", "/ward/report"):

        def ttfb(db, page=page):
            j = db.get("jobs")
            if not j or "idle" not in j:
                return "—"
            idle, busy = j["idle"][page], j["during_xlsx_job"][page]
            return (
                f"{idle['median_ms']:.0f} ms idle → {busy['median_ms']:.0f} ms (p95 {busy['p95_ms']:.0f}, "
                f"max {busy['max_ms']:.0f}, {busy['runs']} runs)"
            )

        yield f"time to first byte of {page} while the worker makes the ward's XLSX", ttfb

    def xlsx_job(db):
        j = db.get("jobs")
        if not j or "xlsx_jobs" not in j:
            return "—"
        return f"{j['schools']} schools: {j['xlsx_job_seconds_median']} s asked → done (median of {j['xlsx_jobs']})"

    yield "the rollup XLSX as a job", xlsx_job
