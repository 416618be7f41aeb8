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
        rows += _city_goals(db.get("city"), label)
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


CITY_WARDS = 126  # the goals of issue 18 are set for Hà Nội's 126 wards


def _city_goals(city: dict | None, label: str) -> list[dict]:
    """Issue 18's goals for the city part (bench/city.py); met/missed only at 126 wards."""
    if not city or "server_time" not in city:
        return []
    rows, full = [], city["wards"] >= CITY_WARDS
    times = city["server_time"]
    small, large = str(city["small_wards"]), str(city["wards"])
    for key, page in (("city", "/city"), ("city_json", "/city.json")):
        at_large, at_small = times[large][key], times[small][key]
        if at_large.get("absent"):
            rows.append(_row(f"{page} < 300 ms server time at 126 wards", label, "not in this build (404)", None))
            continue
        rows.append(
            _row(
                f"{page} < 300 ms server time at 126 wards",
                label,
                f"{at_large['median_ms']:.0f} ms at {city['wards']} wards, {city['schools']:,} schools",
                at_large["median_ms"] < 300 if full else None,
            )
        )
        rows.append(
            _row(
                f"fixed query count of {page} at any number of wards",
                label,
                f"{at_small['queries']} / {at_large['queries']} at {small} / {large} wards",
                at_small["queries"] == at_large["queries"],
            )
        )
    rollup = times[large]["rollup"]
    rows.append(
        _row(
            "a 24-school ward's /rollup < 60 ms server time",
            label,
            f"{rollup['median_ms']:.0f} ms, {rollup['queries']} queries",
            rollup["median_ms"] < 60 if full else None,
        )
    )
    mixed, status = city.get("mixed", {}), city.get("status_change", {})
    if "p95_ms" in mixed:
        v = mixed["verification"]
        errors = mixed["errors"] + _login_errors(mixed) + mixed.get("server_log_errors", 0)
        lost = v["lost_writes"] + v["final_state_mismatches"]
        rows.append(
            _row(
                "the city, 200 virtual users over many wards, 2 min: 0 errors, 0 lost writes, p95 < 300 ms",
                label,
                f"{mixed['vus']} VUs × {mixed['duration_s']:.0f} s over {mixed['users']['distinct_wards']} wards: "
                f"{errors} errors, {lost} lost of {v['acknowledged_writes']} writes, p95 {mixed['p95_ms']:.0f} ms",
                errors == 0 and lost == 0 and mixed["p95_ms"] < 300 if full and mixed["vus"] >= 200 else None,
            )
        )
    for part, goal, limit in ((status, "item status change", 5), (mixed, "mixed-load request (average)", 8)):
        if part.get("cpu_ms_per_request") is not None:
            rows.append(
                _row(
                    f"server CPU per {goal} ≤ {limit} ms",
                    label,
                    f"{part['cpu_ms_per_request']:.1f} ms ({part['server_cpu_seconds']:.1f} s of CPU, "
                    f"{part['requests']:,} requests; {city['workers']} gunicorn workers)",
                    part["cpu_ms_per_request"] <= limit if full else None,
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

    def city(db):
        c = db.get("city")
        if not c or "mixed" not in c:
            return "—"
        s, m = c["status_change"], c["mixed"]
        return (
            f"{c['schools']:,} schools in {c['wards']} wards, {c['workers']} gunicorn workers, load average "
            f"{c['load_average_at_start'][0]} → {c['load_average_at_end'][0]}; status change {s['rps']:.0f} req/s, "
            f"p95 {s['p95_ms']} ms; mixed {m['rps']:.0f} req/s, p50 {m['p50_ms']} / p95 {m['p95_ms']} ms, "
            f"{m['conflicts_409']} × 409, server {_cpu(m)}; evidence store: {c['evidence_store']}"
        )

    yield "the city (`generate-demo --city`): status change and mixed load", city

    def xlsx_job(db):
        j = db.get("jobs")
        if not j or "xlsx_jobs" not in j:
            return "—"
        return f"{j['schools']} schools: {j['xlsx_job_seconds_median']} s asked → done (median of {j['xlsx_jobs']})"

    yield "the rollup XLSX as a job", xlsx_job
