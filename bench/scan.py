"""Run Wapiti and sqlmap against a throw-away local copy of the app, signed in as each role.

    make scan                      # or: .venv/bin/python bench/scan.py [--max-scan-time 600]

The scanners live in their own virtual environment (SCANNERS, default /tmp/scanners), never in
the project's: `python3 -m venv /tmp/scanners && /tmp/scanners/bin/pip install wapiti3 sqlmap`.
The app is served as `make run` serves it (waitress, `python wsgi.py`) on 127.0.0.1 only, from a
new instance folder with demo data and the demo accounts; nothing else is ever scanned. Results go
to OUT (default /tmp/aiplan-scan): wapiti-<role>.json, sqlmap-<target>.log, server.log, and
summary.md (see docs/security-checks.md).
"""

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

HOST = "127.0.0.1"  # never anything else: these tools attack what they are pointed at
ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
ROLES = {"admin": "phongvhxh", "supervisor": "giamsat", "staff": "doanket", "viewer": "lanhdao"}
# Links the crawler must not follow: they would end its own session or lock its account.
# Wapiti's default modules, less ssl (plain HTTP here) and ssrf (which calls an outside server), plus
# crlf, csrf and methods.
MODULES = "sql,xss,permanentxss,exec,file,redirect,upload,crlf,csrf,methods,http_headers,cookieflags,csp"
EXCLUDE = ["/logout", "/account/password", "/admin/accounts/*/enabled", "/admin/accounts/*/password", "/lang"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=5099)
    parser.add_argument("--max-scan-time", type=int, default=600, help="seconds per Wapiti run")
    parser.add_argument("--roles", default="admin,staff", help=f"Wapiti runs, comma-separated: {', '.join(ROLES)}")
    parser.add_argument("--sqlmap", default="", help="only these sqlmap targets, comma-separated (default: all)")
    parser.add_argument(
        "--technique",
        default="BEU",
        help="sqlmap techniques: boolean, error, union by default; add T and S for time-based "
        "and stacked queries (much slower)",
    )
    parser.add_argument("--scanners", default=os.environ.get("SCANNERS", "/tmp/scanners"))
    parser.add_argument("--out", default="/tmp/aiplan-scan")
    args = parser.parse_args()
    scanners, out = Path(args.scanners) / "bin", Path(args.out)
    if not (scanners / "wapiti").exists() or not (scanners / "sqlmap").exists():
        sys.exit(
            f"no wapiti/sqlmap in {scanners}: python3 -m venv {args.scanners} && {scanners}/pip install wapiti3 sqlmap"
        )
    out.mkdir(parents=True, exist_ok=True)
    base = f"http://{HOST}:{args.port}"
    instance = Path(tempfile.mkdtemp(prefix="aiplan-scan-"))
    env = {
        **os.environ,
        "AIPLAN_INSTANCE": str(instance),
        "DATABASE_URL": "",
        "EVIDENCE_DIR": "",
        # The scanners sign in once per role; the login limits are tested elsewhere.
        "LOGIN_LIMIT_PER_ACCOUNT_ADDRESS": "10000 per minute",
        "LOGIN_LIMIT_PER_IP": "10000 per minute",
        "LOGIN_LIMIT_ACCOUNT_CEILING": "10000 per minute",
    }
    passwords = _prepare(env)
    server = subprocess.Popen(
        [str(BIN / "python"), "wsgi.py", "--host", HOST, "--port", str(args.port)],
        cwd=ROOT,
        env=env,
        stdout=(out / "server.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        _wait(base)
        results = {"started": time.strftime("%Y-%m-%d %H:%M"), "technique": args.technique, "wapiti": {}, "sqlmap": {}}
        for role in filter(None, args.roles.split(",")):
            cookie = _sign_in(base, ROLES[role], passwords[ROLES[role]])
            results["wapiti"][role] = _wapiti(scanners, base, cookie, out / f"wapiti-{role}.json", args.max_scan_time)
        results["sqlmap"] = _sqlmap_all(
            scanners, base, passwords, out, args.technique, [t for t in args.sqlmap.split(",") if t]
        )
    finally:
        server.terminate()
        server.wait(30)
        shutil.rmtree(instance, ignore_errors=True)
    results["server_errors"] = [
        line for line in (out / "server.log").read_text().splitlines() if re.search(r'" 5\d\d ', line)
    ]
    (out / "summary.json").write_text(json.dumps(results, ensure_ascii=False, indent=1))
    _summary(results, out / "summary.md")
    print((out / "summary.md").read_text())
    return 0


def _prepare(env: dict) -> dict[str, str]:
    """Database, bundled plan, demo data (files, inspections) and the demo accounts' passwords."""
    flask = [str(BIN / "flask"), "--app", "aiplan"]
    for command in (["setup"], ["generate-demo", "--wards", "1", "--schools-per-ward", "6"]):
        subprocess.run(flask + command, cwd=ROOT, env=env, check=True, capture_output=True)
    shown = subprocess.run(flask + ["demo-accounts"], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return {m.group(1): m.group(2) for m in re.finditer(r"^\s+(\S+)\s+(\S+)\s+\S", shown.stdout, re.M)}


def _wait(base: str) -> None:
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=2)
            return
        except OSError:
            time.sleep(0.2)
    sys.exit("the app did not start: see server.log")


def _sign_in(base: str, username: str, password: str) -> str:
    """The session cookie of a signed-in user, as 'session=…'."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"csrf_token": token, "username": username, "password": password}).encode()
    opener.open(f"{base}/login", data)
    cookie = next(c for c in jar if c.name == "session")
    return f"{cookie.name}={cookie.value}"


def _wapiti(scanners: Path, base: str, cookie: str, report: Path, seconds: int) -> dict:
    command = [
        str(scanners / "wapiti"),
        "-u",
        f"{base}/",
        "--scope",
        "folder",
        "-H",
        f"Cookie: {cookie}",
        "-m",
        MODULES,
        "--max-scan-time",
        str(seconds),
        "--max-attack-time",
        str(seconds // 8),
        "--flush-session",
        "-f",
        "json",
        "-o",
        str(report),
        "--max-links-per-page",
        "40",
        "--max-files-per-dir",
        "60",
        "-d",
        "6",
    ]
    for path in EXCLUDE:
        command += ["-x", base + path]
    started = time.monotonic()
    try:  # --max-scan-time is checked between attacks, so allow some overrun before giving up
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=seconds * 2)
    except subprocess.TimeoutExpired:
        pass
    found = json.loads(report.read_text()) if report.exists() else {}
    return {
        "seconds": round(time.monotonic() - started),
        "vulnerabilities": {k: len(v) for k, v in found.get("vulnerabilities", {}).items() if v},
        "anomalies": {k: len(v) for k, v in found.get("anomalies", {}).items() if v},
        "details": {k: v for k, v in (found.get("vulnerabilities", {}) | found.get("anomalies", {})).items() if v},
        "additionals": {k: len(v) for k, v in found.get("additionals", {}).items() if v},
        "urls": found.get("infos", {}).get("crawled_pages_nbr", 0),
    }


def _sqlmap_all(scanners: Path, base: str, passwords: dict, out: Path, technique: str, only: list[str]) -> dict:
    admin = _sign_in(base, ROLES["admin"], passwords[ROLES["admin"]])
    staff = _sign_in(base, ROLES["staff"], passwords[ROLES["staff"]])
    form_id = _first_activity_form(base, staff)
    targets = {
        "login": (None, "/login", "username=x&password=y&csrf_token=t", "username,password"),
        "audit-filter": (
            admin,
            "/audit?truong=th-doan-ket&nguoi=1&loai=item.update&tu=01/09/2025&den=31/05/2026",
            None,
            "truong,nguoi,loai,tu,den",
        ),
        "audit-pager": (admin, "/audit?truoc=10", None, "truoc"),
        "rollup-filter": (
            admin,
            "/rollup?level=tieu_hoc&status=late&pilot=1&trang=1",
            None,
            "level,status,pilot,trang",
        ),
        "school-year": (staff, "/schools/th-doan-ket?nam=2025-2026", None, "nam"),
        "activities": (staff, "/schools/th-doan-ket/activities?form=x", None, "form"),
        # Each request records a new activity: the text fields reach the INSERT.
        "activity-create": (
            staff,
            "/schools/th-doan-ket/activities",
            f"form_id={form_id}&title=Tiet+hoc+AI&subject=Tin+hoc&grade=5&class_name=5A"
            "&participants=30&lessons=1&starts_on=15/10/2025&products=&notes=ghi+chu&csrf_token=t",
            "title,subject,class_name,notes",
        ),
    }
    results = {}
    for name, (cookie, path, data, params) in targets.items():
        if only and name not in only:
            continue
        command = [
            str(scanners / "sqlmap"),
            "-u",
            base + path,
            "--batch",
            "--level",
            "2",
            "--risk",
            "1",
            "-p",
            params,
            "--flush-session",
            "--output-dir",
            str(out / "sqlmap"),
            f"--technique={technique}",
            "--timeout",
            "10",
            "--skip-waf",
            "--ignore-code",
            "401",
        ]  # a failed sign-in answers 401: an answer to compare, not a stop
        if cookie:
            command += ["--cookie", cookie]
        if data:  # a fresh token from a small page with a form, before each request
            csrf_page = "/account/password" if cookie else "/login"
            # sqlmap now and then fails to read a token from a page that has one: let it retry
            command += [
                "--data",
                data,
                "--csrf-token",
                "csrf_token",
                "--csrf-url",
                base + csrf_page,
                "--csrf-retries",
                "5",
            ]
        try:
            run = subprocess.run(command, capture_output=True, text=True, timeout=1800)
            text = run.stdout + run.stderr
        except subprocess.TimeoutExpired as stopped:
            text = (stopped.stdout or b"").decode(errors="replace") + "\n[stopped after 30 minutes]"
        (out / f"sqlmap-{name}.log").write_text(text)
        results[name] = {
            "path": path,
            "params": params,
            # sqlmap's own conclusions (its "appears to be … injectable" lines are hunches it
            # often takes back a moment later)
            "injectable": "identified the following injection point" in text,
            "not_injectable": "all tested parameters do not appear to be injectable" in text,
            "http_500": len(re.findall(r"500 \(Internal Server Error\)", text)),
        }
    return results


def _first_activity_form(base: str, cookie: str) -> str:
    """The id of the first kind of activity (hình thức) the school's activity form offers."""
    request = urllib.request.Request(f"{base}/schools/th-doan-ket/activities", headers={"Cookie": cookie})
    page = urllib.request.urlopen(request).read().decode()
    select = page[page.index('name="form_id"') :]
    select = select[: select.index("</select>")]
    return next(v for v in re.findall(r'<option[^>]*value="(\d+)"', select) if v != "0")  # 0: "choose one"


def _summary(results: dict, path: Path) -> None:
    lines = [f"# Scan of {results['started']}", "", "## Wapiti", ""]
    for role, found in results["wapiti"].items():
        lines.append(
            f"- {role}: {found['urls']} pages crawled in {found['seconds']} s; vulnerabilities "
            f"{found['vulnerabilities'] or 'none'}; anomalies (500s, timeouts) "
            f"{found['anomalies'] or 'none'}; "
            f"informational {found.get('additionals') or 'none'}"
        )
        for kind, entries in found["details"].items():
            for entry in entries[:10]:
                lines.append(
                    f"  - {kind}: {entry.get('method')} {entry.get('path')} {entry.get('parameter', '')} "
                    f"— {entry.get('info', '')[:200]}"
                )
    lines += ["", f"## sqlmap (--level 2 --risk 1, techniques {results['technique']})", ""]
    for name, found in results["sqlmap"].items():
        verdict = "INJECTABLE" if found["injectable"] else ("not injectable" if found["not_injectable"] else "see log")
        lines.append(f"- {name}: `{found['path']}` [{found['params']}]: {verdict}; HTTP 500 seen {found['http_500']}×")
    lines += ["", f"## Server: {len(results['server_errors'])} responses with status 5xx", ""]
    lines += [f"    {line}" for line in results["server_errors"][:20]]
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
