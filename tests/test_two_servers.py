"""Two app servers behind one reverse proxy, sharing PostgreSQL, Redis and the S3 evidence store
(SeaweedFS, started by tests/s3server.py) and nothing on disk: the journeys of docs/deployment.md's
layout, on this machine.

Two gunicorn processes (gunicorn.conf.py, `wsgi:app`), each with an instance folder of its own, a
job worker (`flask worker`) with a third, and nginx on a free port of 127.0.0.1 that sends each
request to the next server in turn (round robin) and names it in an `X-Served-By` header, so that
each journey can say which server answered which step and put the steps on different servers:

- signed in by one server, the session goes on on the other;
- a school's staff upload evidence through one, a supervisor downloads it through the other;
- failed logins are counted across both (the limit holds whichever server a guess reaches);
- an evidence ZIP asked for on one is made by the worker and downloaded through the other;
- signing out on one ends the session on the other (the old cookie is refused there);
- a list previewed for import on one is confirmed on the other.

At the end, neither server's instance folder holds anything another host would need.

PostgreSQL: TEST_DATABASE_URL when it is PostgreSQL, else postgres@127.0.0.1:5432/postgres; the
servers work in a schema of their own, dropped at the end. Redis: TWO_SERVERS_REDIS_URL (default
redis://127.0.0.1:6379/13), emptied before and after. Without PostgreSQL, Redis or nginx the test
is skipped with the reason, except in CI (CI set), where it fails: .ci/run installs nginx and
starts the services.
"""

import copy
import hashlib
import http.cookiejar
import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "mat-khau-hai-may-chu"
SCHOOL = "th-doan-ket"
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
ACCOUNTS = {
    "quantri": ("ward_admin",),
    "giamsat": ("supervisor",),
    "canbo": ("school_staff", "--school", SCHOOL),
    "doanket2": ("school_staff", "--school", SCHOOL),
    "khach": ("viewer",),
}


def unavailable(message: str):
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgresql_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "")
    return url if url.startswith("postgresql") else "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def in_schema(url: str, schema: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


@dataclass
class Page:
    status: int
    headers: dict
    body: bytes
    server: str  # "A" or "B": which app server answered, as the proxy said

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def location(self) -> str:
        return urllib.parse.urlsplit(self.headers.get("Location", "")).path

    def csrf(self) -> str:
        found = CSRF_INPUT.search(self.text)
        assert found, f"no CSRF token on the page ({self.status}):\n{self.text[:2000]}"
        return found.group(1)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # each step is one request, so that the test knows which server answered it


@dataclass
class Cluster:
    proxy: str
    servers: dict  # "127.0.0.1:port" -> "A" / "B"
    instances: dict  # "A" / "B" / "worker" -> instance folder
    logs: dict
    stored: Callable[[], list[str]]  # every key in the S3 store under this test's prefix
    last: str = ""  # the server that answered the proxy's last request

    def browser(self, cookies: http.cookiejar.CookieJar | None = None) -> "Browser":
        return Browser(self, cookies)

    def log_text(self) -> str:
        return "\n".join(f"--- {name}\n{path.read_text(errors='replace')[-4000:]}" for name, path in self.logs.items())


@dataclass
class Browser:
    """One person's browser: its own cookies, every request through the proxy."""

    cluster: Cluster
    jar: http.cookiejar.CookieJar | None = None
    opener: urllib.request.OpenerDirector = field(init=False)

    def __post_init__(self):
        self.jar = self.jar if self.jar is not None else http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def cookies(self) -> http.cookiejar.CookieJar:
        """A copy of this browser's cookies, as someone who copied them would replay them."""
        copied = http.cookiejar.CookieJar()
        for cookie in self.jar:
            copied.set_cookie(copy.copy(cookie))
        return copied

    def request(self, method: str, path: str, data: bytes | None = None, headers=None, on: str | None = None) -> Page:
        """One request; with `on`, to that server ("A" or "B"): the proxy alternates, so when it would
        go to the other one, a health check through the proxy takes that turn first."""
        if on is not None and self.cluster.last != _other(on):
            self._send("GET", "/healthz")
        page = self._send(method, path, data, headers or {})
        assert on is None or page.server == on, f"the proxy did not alternate: {page.server} answered, not {on}"
        return page

    def _send(self, method: str, path: str, data: bytes | None = None, headers=None) -> Page:
        request = urllib.request.Request(self.cluster.proxy + path, data=data, headers=headers or {}, method=method)
        try:
            response = self.opener.open(request, timeout=60)
        except urllib.error.HTTPError as error:  # 3xx (not followed), 4xx, 5xx
            response = error
        with response:
            body = response.read()
        served_by = response.headers.get("X-Served-By", "")
        assert served_by in self.cluster.servers, f"answered by {served_by!r}, not by one of the two servers"
        self.cluster.last = self.cluster.servers[served_by]
        return Page(response.status, dict(response.headers), body, self.cluster.last)

    def get(self, path: str, on: str | None = None) -> Page:
        return self.request("GET", path, on=on)

    def post(self, path: str, fields: dict, files: dict | None = None, on: str | None = None) -> Page:
        if files is None:
            body = urllib.parse.urlencode(fields).encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
        else:
            body, headers = _multipart(fields, files)
        return self.request("POST", path, body, headers, on=on)

    def log_in(self, username: str, password: str = PASSWORD, on: str | None = None) -> Page:
        token = self.get("/login").csrf()
        return self.post("/login", {"username": username, "password": password, "csrf_token": token}, on=on)


def _other(server: str) -> str:
    return "B" if server == "A" else "A"


def _multipart(fields: dict, files: dict) -> tuple[bytes, dict]:
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, content) in files.items():
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n".encode()
        )
        out.write(content + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def _wait_for(url: str, process: subprocess.Popen, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{url}: the process exited:\n{log.read_text(errors='replace')}"
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"{url} did not answer /healthz within {seconds:.0f} s:\n{log.read_text(errors='replace')}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


NGINX_CONF = """
daemon off;
master_process off;
error_log {log} warn;
pid {prefix}/nginx.pid;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    # Round robin, the default: each request goes to the next server in turn.
    upstream aiplan {{
        server {a};
        server {b};
        keepalive 8;
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 50m;
        location / {{
            proxy_pass http://aiplan;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $host;
            # Never to another server on an error: each request is answered by the one it reached.
            proxy_next_upstream off;
            add_header X-Served-By $upstream_addr always;
        }}
    }}
}}
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, s3_server):
    psycopg = pytest.importorskip("psycopg")
    redis = pytest.importorskip("redis")
    nginx = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)
    if nginx is None:
        unavailable("nginx not found: the two-server test puts it in front (apt-get install nginx)")
    database = postgresql_url()
    schema = f"two_servers_{os.getpid()}"
    admin_url = database.replace("postgresql+psycopg://", "postgresql://", 1).split("?", 1)[0]
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            connection.execute(f"CREATE SCHEMA {schema}")
    except psycopg.OperationalError as error:
        unavailable(f"PostgreSQL not reachable at {admin_url}: {error}")
    redis_url = os.environ.get("TWO_SERVERS_REDIS_URL", "redis://127.0.0.1:6379/13")
    try:
        redis.Redis.from_url(redis_url).flushdb()
    except redis.exceptions.ConnectionError as error:
        unavailable(f"Redis not reachable at {redis_url}: {error}")

    base = tmp_path_factory.mktemp("two-servers")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AIPLAN_", "AWS_", "EVIDENCE_", "JOB_", "LOGIN_LIMIT", "RATELIMIT_", "MAIL_"))
        and key not in ("DATABASE_URL", "SECRET_KEY", "AUDIT_KEY")
    }
    env |= {
        # What every app server and worker of docs/deployment.md is given alike.
        "DATABASE_URL": in_schema(database, schema),
        "SECRET_KEY": "khoa-phien-chung-" + uuid.uuid4().hex,
        "AUDIT_KEY": "khoa-nhat-ky-chung-" + uuid.uuid4().hex,
        "RATELIMIT_STORAGE_URI": redis_url,
        "JOB_QUEUE_URL": redis_url,
        "TRUSTED_PROXIES": "1",
        "LOGIN_LIMIT_PER_ACCOUNT_ADDRESS": "5 per 15 minutes",
        # The evidence and the jobs' files in the S3 store (SeaweedFS, tests/s3server.py), under a
        # prefix of this run's own: each server's EVIDENCE_DIR is its own instance/evidence.
        **s3_server.settings(store_prefix := f"two-servers-{os.getpid()}"),
    }
    flask = [sys.executable, "-m", "flask", "--app", "aiplan"]
    setup_env = env | {"AIPLAN_INSTANCE": str(base / "setup")}
    subprocess.run([*flask, "setup"], cwd=ROOT, env=setup_env, check=True, capture_output=True)
    for username, role in ACCOUNTS.items():
        subprocess.run(
            [*flask, "create-user", username, "--role", *role, "--password-stdin"],
            cwd=ROOT,
            env=setup_env,
            input=PASSWORD + "\n",
            text=True,
            check=True,
            capture_output=True,
        )

    processes, logs, servers, instances = [], {}, {}, {}
    try:
        for name in ("A", "B"):
            port = free_port()
            instances[name] = base / f"instance-{name}"
            logs[name] = base / f"server-{name}.log"
            server_env = env | {
                "AIPLAN_INSTANCE": str(instances[name]),
                "AIPLAN_BIND": f"127.0.0.1:{port}",
                "WEB_CONCURRENCY": "1",  # two servers on two shared cores: one process each
                "AIPLAN_THREADS": "4",
            }
            command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
            with logs[name].open("wb") as out:
                processes.append(
                    subprocess.Popen(command, cwd=ROOT, env=server_env, stdout=out, stderr=subprocess.STDOUT)
                )
            _wait_for(f"http://127.0.0.1:{port}", processes[-1], logs[name])
            servers[f"127.0.0.1:{port}"] = name
        instances["worker"] = base / "instance-worker"
        logs["worker"] = base / "worker.log"
        with logs["worker"].open("wb") as out:
            processes.append(
                subprocess.Popen(
                    [*flask, "worker", "--threads", "1"],
                    cwd=ROOT,
                    env=env | {"AIPLAN_INSTANCE": str(instances["worker"])},
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
        proxy_port = free_port()
        prefix = base / "nginx"
        prefix.mkdir()
        logs["nginx"] = prefix / "error.log"
        upstreams = list(servers)
        conf = prefix / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(log=logs["nginx"], prefix=prefix, a=upstreams[0], b=upstreams[1], port=proxy_port)
        )
        processes.append(subprocess.Popen([nginx, "-p", str(prefix), "-c", str(conf)], stderr=subprocess.STDOUT))
        _wait_for(f"http://127.0.0.1:{proxy_port}", processes[-1], logs["nginx"])
        yield Cluster(f"http://127.0.0.1:{proxy_port}", servers, instances, logs, lambda: s3_server.keys(store_prefix))
    finally:
        for process in reversed(processes):
            _stop(process)
        try:
            redis.Redis.from_url(redis_url).flushdb()
            with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as connection:
                connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        except (redis.exceptions.ConnectionError, psycopg.OperationalError):
            pass


def upload(browser: Browser, name: str, content: bytes, on: str) -> Page:
    """Upload one file to the school's first checklist item, as the school page's form does."""
    school = browser.get(f"/schools/{SCHOOL}")
    assert school.status == 200, school.text[:2000]
    action = re.search(rf'action="(/schools/{SCHOOL}/items/\d+/files)"', school.text).group(1)
    return browser.post(action, {"csrf_token": school.csrf()}, files={"file": (name, content)}, on=on)


def file_link(page: Page, name: str) -> str:
    found = re.search(rf'href="(/files/\d+)"[^>]*>{re.escape(name)}</a>', page.text)
    assert found, f"{name} is not listed on the page"
    return found.group(1)


def test_a_session_started_on_one_server_goes_on_on_the_other(cluster):
    browser = cluster.browser()

    signed_in = browser.log_in("giamsat", on="A")

    assert signed_in.status in (302, 303) and signed_in.location == "/"
    on_b = browser.get("/schools", on="B")
    assert on_b.status == 200, "server B did not accept the session that server A started"
    assert "Đăng xuất" in on_b.text and "Trường Tiểu học Đoàn Kết" in on_b.text
    assert browser.get("/schools", on="A").status == 200


def test_evidence_uploaded_through_one_server_is_downloaded_through_the_other(cluster):
    staff, supervisor = cluster.browser(), cluster.browser()
    staff.log_in("canbo")
    content = PDF + uuid.uuid4().hex.encode()

    uploaded = upload(staff, "Kế hoạch hai máy chủ.pdf", content, on="A")

    assert uploaded.status == 303, uploaded.text[:2000]
    sha256 = hashlib.sha256(content).hexdigest()
    assert f"{sha256[:2]}/{sha256[2:4]}/{sha256}" in cluster.stored(), "the file is not in the S3 store"
    supervisor.log_in("giamsat")
    school = supervisor.get(f"/schools/{SCHOOL}", on="B")
    download = supervisor.get(file_link(school, "Kế hoạch hai máy chủ.pdf"), on="B")
    assert download.status == 200 and download.body == content


def test_failed_logins_are_counted_across_both_servers(cluster):
    browser = cluster.browser()
    token = browser.get("/login").csrf()
    answered_by = []
    for _ in range(5):
        wrong = browser.post("/login", {"username": "khach", "password": "sai-mat-khau", "csrf_token": token})
        assert wrong.status == 401
        answered_by.append(wrong.server)
    assert set(answered_by) == {"A", "B"}, "the guesses should have reached both servers"

    # Neither server saw five failures by itself: only a shared count stops the sixth.
    for server in ("A", "B"):
        refused = browser.post("/login", {"username": "khach", "password": PASSWORD, "csrf_token": token}, on=server)
        assert refused.status == 429, f"server {server} let the account try again"
        assert "Bạn đã thử quá nhiều lần" in refused.text


def test_a_job_asked_for_on_one_server_is_made_by_the_worker_and_downloaded_through_the_other(cluster):
    staff = cluster.browser()
    staff.log_in("doanket2")
    content = f"Lớp,Số học sinh\n4A1,{uuid.uuid4().hex}\n".encode()
    assert upload(staff, "Danh sách lớp thí điểm.csv", content, on="B").status == 303
    report = staff.get(f"/schools/{SCHOOL}/report")
    plan = re.search(r'name="kind" value="evidence_zip">\s*<input type="hidden" name="plan" value="(\d+)"', report.text)
    assert plan, "the school's report page has no button for the evidence ZIP"

    asked = staff.post(
        "/jobs",
        {"csrf_token": report.csrf(), "kind": "evidence_zip", "plan": plan.group(1), "school": SCHOOL},
        on="A",
    )

    assert asked.status == 303 and re.fullmatch(r"/jobs/\d+", asked.location), asked.text[:2000]
    deadline = time.monotonic() + 90
    while "/file" not in (progress := staff.get(asked.location)).text:
        assert "Không thành công" not in progress.text, cluster.log_text()
        assert time.monotonic() < deadline, f"the worker did not finish the job in 90 s\n{cluster.log_text()}"
        time.sleep(0.5)
    downloaded = staff.get(asked.location + "/file", on="B")
    assert downloaded.status == 200, downloaded.text[:2000]
    with zipfile.ZipFile(io.BytesIO(downloaded.body)) as bundle:
        assert content in [bundle.read(name) for name in bundle.namelist()], bundle.namelist()


def test_signing_out_on_one_server_ends_the_session_on_the_other(cluster):
    browser = cluster.browser()
    browser.log_in("quantri")
    copied = cluster.browser(browser.cookies())
    assert copied.get("/schools", on="B").status == 200, "a copy of the cookies signs in, before the sign-out"

    token = browser.get("/schools").csrf()
    signed_out = browser.post("/logout", {"csrf_token": token}, on="A")

    assert signed_out.status in (302, 303) and signed_out.location == "/login"
    replayed = copied.get("/schools", on="B")
    assert replayed.status in (302, 303) and replayed.location == "/login", "server B still honoured the session"


def test_a_list_previewed_on_one_server_is_imported_on_the_other(cluster):
    admin = cluster.browser()
    admin.log_in("quantri")
    form = admin.get("/admin/import")
    csv = "slug,tên trường,cấp học,thí điểm,hoạt động\nth-hai-may,Trường Tiểu học Hai Máy,tiểu học,không,có\n"

    preview = admin.post(
        "/admin/import", {"csrf_token": form.csrf()}, files={"file": ("truong.csv", csv.encode())}, on="A"
    )

    assert preview.status == 200 and "Trường Tiểu học Hai Máy" in preview.text, preview.text[:2000]
    fields = {
        name: re.search(rf'name="{name}" type="hidden" value="([^"]+)"', preview.text).group(1)
        for name in ("token", "sha256")
    }
    done = admin.post("/admin/import/confirm", {"csrf_token": preview.csrf(), **fields}, on="B")
    assert done.status == 200 and "Trường học: thêm 1" in done.text, done.text[:2000]


def test_nothing_another_host_needs_is_left_in_a_servers_instance_folder(cluster):
    # Last in the file, after the journeys above uploaded evidence, made a job's file and previewed an
    # import; the keys would be written at start, so this holds in any order. Folders may be there
    # (for temporary files while an upload or a job's file is on its way), but no file.
    for name in ("A", "B", "worker"):
        folder = cluster.instances[name]
        kept = sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if not path.is_dir())
        assert kept == [], f"{name}'s instance folder holds {kept}"
    for name in ("A", "B"):
        assert "is not set for several" not in cluster.logs[name].read_text(), f"server {name} warned at start"
