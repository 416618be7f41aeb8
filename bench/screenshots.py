"""Screenshots of the main pages as each role sees them, on a phone (360×740) and for a few pages
on a desktop (1366×768), with a table of each page's height, header height and sideways overflow.

Usage: .venv/bin/python bench/screenshots.py docs/screenshots/after [--table docs/screenshots/after.md]

Builds a throw-away instance (`flask setup`, then `flask generate-demo` for a year of work: visits,
verdicts, re-checks, activities, files; the next year in preparation, so admins see the year bar),
starts the server as `make run` does (`python wsgi.py`) on a free port of 127.0.0.1, signs in as
each role in Chromium and saves one JPEG per page (quality 70, device scale 1) of the page's first
3,000 px: 23 pictures take about 3.5 MB.

To picture another commit, run this file from a copy of that commit's tree (python puts the
script's folder first on the path):
`git archive <commit> | tar -x -C /tmp/tree && cp bench/screenshots.py /tmp/tree/bench/ &&
(cd /tmp/tree && /path/to/.venv/bin/python bench/screenshots.py /path/to/out)`.

The numbers, per page, in CSS pixels:
- document height: `document.documentElement.scrollHeight`;
- header height: from the top of `header.site-header` to the bottom of the year bar (`.year-bar`)
  when the bar sits outside the header, else to the header's bottom;
- overflow: `scrollWidth - clientWidth` of the document, i.e. how far the page scrolls sideways
  (0 is right).
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.server import free_port  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PASSWORD = "demo-mat-khau-1"
PHONE = (360, 740)
DESKTOP = (1366, 768)
CLIP_HEIGHT = 3000  # pictures stop here (the table gives the whole height): the repo stays small
SCHOOL = "th-doan-ket"  # the bundled 9-item pilot school
# role -> username; every account has PASSWORD
ACCOUNTS = {
    "staff": "canbo-doanket",
    "supervisor": "d000.giamsat1",
    "ward_admin": "d000.phongvhxh",
    "viewer": "d000.lanhdao",
}
# (role, page name, path or a callable that finds it from the signed-in page, desktop too?)
PAGES = [
    ("signed_out", "đăng nhập", "/login", False),
    ("staff", "checklist của trường", f"/schools/{SCHOOL}", True),
    ("staff", "hoạt động", f"/schools/{SCHOOL}/activities", False),
    ("staff", "tự đánh giá", f"/schools/{SCHOOL}/self-evaluation", False),
    ("staff", "lịch sử", f"/schools/{SCHOOL}/history", False),
    ("supervisor", "các đợt kiểm tra + hàng chờ kiểm tra lại", "/inspections", False),
    ("supervisor", "một đợt kiểm tra", "visit", True),
    ("supervisor", "biên bản", "minutes", False),
    ("ward_admin", "các trường", "/schools", False),
    ("ward_admin", "tổng hợp", "/rollup", True),
    ("ward_admin", "việc của phường", "/ward", False),
    ("ward_admin", "quản trị trường", "/admin/schools", True),
    ("ward_admin", "quản trị tài khoản", "/admin/accounts", False),
    ("ward_admin", "nhập danh sách", "/admin/import", False),
    ("ward_admin", "năm học", "/years", False),
    ("ward_admin", "kế hoạch", "/plan", False),
    ("ward_admin", "nhật ký", "/audit", False),
    ("viewer", "tổng hợp", "/rollup", False),
    ("viewer", "báo cáo", "/ward/report", False),
]

MEASURE = """() => {
  const doc = document.documentElement;
  const header = document.querySelector('header.site-header');
  let headerHeight = null;
  if (header) {
    const top = header.getBoundingClientRect().top;
    let bottom = header.getBoundingClientRect().bottom;
    for (const bar of document.querySelectorAll('.year-bar')) {
      if (!header.contains(bar)) bottom = Math.max(bottom, bar.getBoundingClientRect().bottom);
    }
    headerHeight = Math.round(bottom - top);
  }
  return {height: doc.scrollHeight, header: headerHeight, overflow: doc.scrollWidth - doc.clientWidth};
}"""


NEXT_YEAR = """
from sqlalchemy import select
from aiplan import create_app
from aiplan.extensions import db
from aiplan.models import Plan
from aiplan.years.services import proposed_calendar, start_next_year
with create_app().app_context():
    plan = db.session.scalar(select(Plan).order_by(Plan.id))
    start_next_year(plan, proposed_calendar(plan.school_year))
"""


def flask(env: dict, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "aiplan", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def build_instance(instance: str) -> dict:
    env = os.environ | {"AIPLAN_INSTANCE": instance}
    flask(env, "setup")
    flask(env, "generate-demo", "--wards", "1", "--schools-per-ward", "6", "--files-per-school", "1",
          "--max-file-kb", "40", "--password", PASSWORD)  # fmt: skip
    # the next year in preparation: the ward admin's pages then carry the year bar under the header
    subprocess.run([sys.executable, "-c", NEXT_YEAR], cwd=ROOT, env=env, check=True, capture_output=True)
    flask(env, "create-user", ACCOUNTS["staff"], "--role", "school_staff", "--school", SCHOOL,
          "--name", "Cán bộ Đoàn Kết", "--password-stdin", stdin=f"{PASSWORD}\n{PASSWORD}\n")  # fmt: skip
    return env


def wait_until_up(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the server at {url} did not answer within {seconds} s")


def sign_in(page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()


def find_visit(page) -> str:
    """The first visit the supervisor's page links to."""
    page.goto("/inspections")
    for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
        if re.fullmatch(r"/inspections/\d+", href or ""):
            return href
    raise SystemExit("no visit linked from /inspections")


def shoot(browser, base_url: str, out: Path) -> list[dict]:
    rows = []
    roles = dict.fromkeys(role for role, *_ in PAGES)
    for role in roles:
        for width, height in (PHONE, DESKTOP):
            pages = [p for p in PAGES if p[0] == role and (width == PHONE[0] or p[3])]
            if not pages:
                continue
            context = browser.new_context(
                base_url=base_url,
                viewport={"width": width, "height": height},
                locale="vi-VN",
                timezone_id="Asia/Ho_Chi_Minh",
            )
            page = context.new_page()
            if role in ACCOUNTS:
                sign_in(page, ACCOUNTS[role])
            visit = find_visit(page) if role == "supervisor" else None
            for _, name, path, _desktop in pages:
                url = {"visit": visit, "minutes": f"{visit}/minutes"}.get(path, path)
                response = page.goto(url)
                page.wait_for_load_state("networkidle")
                numbers = page.evaluate(MEASURE)
                slug = re.sub(r"[^a-z0-9]+", "-", url.lower()).strip("-") or "home"
                filename = f"{role}-{slug}-{width}.jpg"
                clip = {"x": 0, "y": 0, "width": width, "height": min(numbers["height"], CLIP_HEIGHT)}
                page.screenshot(path=str(out / filename), full_page=True, clip=clip, type="jpeg", quality=70)
                rows.append(
                    {"role": role, "name": name, "url": url, "width": width, "status": response.status}
                    | numbers
                    | {"file": filename}
                )
                print(f"{role:<11} {width:>4} {url:<40} {numbers}", flush=True)
            context.close()
    return rows


def table(rows: list[dict], title: str) -> str:
    lines = [
        f"# {title}",
        "",
        "Made by `bench/screenshots.py` (360×740 phone; 1366×768 desktop): JPEG, quality 70, each page's",
        "first 3,000 px (the heights below are the whole page's).",
        "Header: from the top of the site header to the bottom of the year bar. Overflow: how far the",
        "document scrolls sideways (0 is right). CSS pixels.",
        "",
        "| role | page | URL | viewport | document height | header height | overflow | picture |",
        "|---|---|---|---|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['role']} | {r['name']} | `{r['url']}` | {r['width']} | {r['height']:,} | "
            f"{r['header'] if r['header'] is not None else '–'} | {r['overflow']} | [{r['file']}]({r['file']}) |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for the pictures")
    parser.add_argument("--table", type=Path, help="markdown table (default: <out>.md)")
    parser.add_argument("--title", default="Các trang chính trên điện thoại / The main pages on a phone")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    table_path = args.table or args.out.with_suffix(".md")

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="aiplan-shots-") as instance:
        env = build_instance(instance)
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [sys.executable, "wsgi.py", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until_up(base_url)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox", "--disable-background-networking"]
                )
                rows = shoot(browser, base_url, args.out)
                browser.close()
        finally:
            server.terminate()
            server.wait(10)
    # the table links the pictures relative to where it is written
    relative = os.path.relpath(args.out, table_path.parent)
    for row in rows:
        row["file"] = f"{relative}/{row['file']}"
    table_path.write_text(table(rows, args.title), encoding="utf-8")
    print(f"{len(rows)} pictures in {args.out}, table in {table_path}")


if __name__ == "__main__":
    main()
