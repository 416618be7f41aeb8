"""Slow clients against the app as `make run` serves it, over real sockets.

An attack run opened twelve connections that each sent `POST /login` with `Content-Length:
100000` and then one byte a second: under gunicorn's gthread worker they held all eight threads
and `/healthz` timed out for as long as they trickled. Here the server is started with the
exact command of `make run` (the last line `make -n run` prints, so this cannot drift from the
Makefile) on a free port with a temporary instance, and more such clients — some trickling a
body, some their headers, some never reading a download — must not stop anyone else.
"""

import http.client
import http.cookiejar
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "mat-khau-may-chu-thu"
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
MB = 1024 * 1024
LIMIT_MB = 16  # MAX_UPLOAD_MB of the served app: room for a download larger than socket buffers


def served_command(port: int) -> list[str]:
    """What `make run` runs to serve, on 127.0.0.1:port."""
    dry = subprocess.run(
        ["make", "-s", "--no-print-directory", "-n", "run", "HOST=127.0.0.1", f"PORT={port}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    command = shlex.split(dry.stdout.strip().splitlines()[-1])
    if not (ROOT / command[0]).exists():
        message = f"{command[0]} does not exist: run `make install` first"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return command


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare_instance(instance: Path) -> dict:
    """A fresh SQLite instance set up as `make run` does, with a ward admin and a school's staff;
    the environment that serves it."""
    env = {
        **os.environ,
        "AIPLAN_INSTANCE": str(instance),
        "DATABASE_URL": f"sqlite:///{instance / 'aiplan.sqlite3'}",
        "SECRET_KEY": "may-chu-thu",
    }
    flask = [sys.executable, "-m", "flask", "--app", "aiplan"]
    subprocess.run([*flask, "setup"], cwd=ROOT, env=env, check=True, capture_output=True)
    for username, *role in (("quantri", "ward_admin"), ("canbo", "school_staff", "--school", "th-doan-ket")):
        subprocess.run(
            [*flask, "create-user", username, "--role", *role, "--password-stdin"],
            cwd=ROOT,
            env=env,
            input=PASSWORD + "\n",
            text=True,
            check=True,
            capture_output=True,
        )
    return env


class Served:
    """The app served by `make run`'s command on a free port, with `env` and these settings."""

    def __init__(self, env: dict, log: Path, **settings):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                served_command(self.port), cwd=ROOT, env={**env, **settings}, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the server exited:\n{self.log_text()}"
            try:
                if self.get("/healthz", timeout=2) == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        pytest.fail(f"the server did not answer /healthz within 90 s:\n{self.log_text()}")

    def get(self, path: str, timeout: float) -> int:
        with urllib.request.urlopen(self.url + path, timeout=timeout) as response:
            return response.status

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="module")
def instance(tmp_path_factory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("served")
    return folder, prepare_instance(folder)


@pytest.fixture(scope="module")
def served(instance):
    folder, env = instance
    server = Served(env, folder / "server.log", MAX_UPLOAD_MB=str(LIMIT_MB))
    yield server
    server.stop()


class Tricklers(threading.Thread):
    """Connections that start a request and then send one more byte every second."""

    def __init__(self, port: int, bodies: int, headers: int):
        super().__init__(daemon=True)
        self.sockets, self.stopped = [], threading.Event()
        for _ in range(bodies):
            self._open(
                port,
                b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\nu",
            )
        for _ in range(headers):
            self._open(port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Cham: ")

    def _open(self, port: int, start: bytes) -> None:
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(start)
        self.sockets.append(sock)

    def run(self) -> None:
        while not self.stopped.wait(1.0):
            for sock in self.sockets:
                try:
                    sock.sendall(b"a")
                except OSError:
                    pass

    def still_open(self) -> int:
        """How many of the connections the server has not closed."""
        count = 0
        for sock in self.sockets:
            sock.setblocking(False)
            try:
                count += sock.recv(1, socket.MSG_PEEK) != b""
            except BlockingIOError:
                count += 1
            except OSError:
                pass
        return count

    def stop(self) -> None:
        self.stopped.set()
        self.join()
        for sock in self.sockets:
            sock.close()


def log_in(base: str, username: str, password: str, **headers) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.cookie_jar = jar
    token = CSRF_INPUT.search(opener.open(base + "/login", timeout=5).read().decode()).group(1)
    body = urllib.parse.urlencode({"username": username, "password": password, "csrf_token": token}).encode()
    opener.open(urllib.request.Request(base + "/login", data=body, headers=headers), timeout=10).read()
    return opener


def signed_in(opener, base: str) -> bool:
    """The school list is for signed-in users; anyone else is sent to the login page."""
    with opener.open(base + "/schools", timeout=5) as response:
        return response.status == 200 and "/login" not in response.url


def test_slow_clients_trickling_bodies_and_headers_do_not_stop_the_app_answering(served):
    tricklers = Tricklers(served.port, bodies=20, headers=8)
    tricklers.start()
    try:
        time.sleep(1.5)  # every trickler has been accepted and is mid-request
        for _ in range(6):
            started = time.monotonic()
            try:
                status = served.get("/healthz", timeout=2)
            except OSError as error:
                pytest.fail(f"/healthz did not answer within 2 s while 28 clients trickled: {error!r}")
            assert status == 200 and time.monotonic() - started < 2
            time.sleep(0.5)
        assert signed_in(log_in(served.url, "quantri", PASSWORD), served.url)
        # The server did not get out of it by dropping them: they are still connected.
        assert tricklers.still_open() == 28
    finally:
        tricklers.stop()


def test_slow_readers_of_a_large_download_do_not_stop_the_app_answering(served):
    staff = log_in(served.url, "canbo", PASSWORD)
    page = staff.open(served.url + "/schools/th-doan-ket", timeout=5).read().decode()
    upload = re.search(r'hx-post="(/schools/th-doan-ket/items/\d+/files)"', page).group(1)
    body, boundary = _multipart(
        {"csrf_token": CSRF_INPUT.search(page).group(1), "next": ""},
        ("file", "bien-ban.txt", b"Bien ban hop to chuyen mon.\n" * ((LIMIT_MB - 1) * MB // 28)),
    )
    staff.open(
        urllib.request.Request(
            served.url + upload, data=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
        ),
        timeout=30,
    ).read()
    page = staff.open(served.url + "/schools/th-doan-ket", timeout=5).read().decode()
    download = re.search(r'href="(/files/\d+)"', page).group(1)
    cookie = "; ".join(f"{c.name}={c.value}" for c in staff.cookie_jar)

    readers = []
    try:
        for _ in range(12):  # each asks for the file, then reads nothing
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", served.port))
            sock.sendall(f"GET {download} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n\r\n".encode())
            readers.append(sock)
        time.sleep(1.5)
        for _ in range(4):
            try:
                assert served.get("/healthz", timeout=2) == 200
            except OSError as error:
                pytest.fail(f"/healthz did not answer within 2 s while 12 clients did not read: {error!r}")
            time.sleep(0.5)
    finally:
        for sock in readers:
            sock.close()


def _multipart(fields: dict, file: tuple[str, str, bytes]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    name, filename, content = file
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        f"Content-Type: text/plain\r\n\r\n".encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), boundary


def _multipart_login(base: str, total: int) -> tuple[int, float]:
    """A login form sent as multipart with a file part padding the request to `total` bytes, so
    that the body's size is exactly what the server sees; only the headers are sent first."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar := http.cookiejar.CookieJar()))
    token = CSRF_INPUT.search(opener.open(base + "/login", timeout=5).read().decode()).group(1)
    boundary = uuid.uuid4().hex
    head = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in (("csrf_token", token), ("username", "quantri"), ("password", PASSWORD))
    )
    head += f'--{boundary}\r\nContent-Disposition: form-data; name="dem"; filename="dem.bin"\r\n\r\n'
    tail = f"\r\n--{boundary}--\r\n"
    padding = total - len(head.encode()) - len(tail.encode())
    connection = http.client.HTTPConnection("127.0.0.1", urllib.parse.urlsplit(base).port, timeout=10)
    connection.putrequest("POST", "/login")
    connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    connection.putheader("Content-Length", str(total))
    connection.putheader("Cookie", "; ".join(f"{c.name}={c.value}" for c in jar))
    connection.endheaders()
    started = time.monotonic()
    if total < LIMIT_MB * MB:
        connection.send(head.encode() + b"\0" * padding + tail.encode())
    response = connection.getresponse()  # a refused body is never sent: the answer must come anyway
    seconds = time.monotonic() - started
    connection.close()
    return response.status, seconds


def test_a_request_just_under_the_upload_limit_still_reaches_the_app(served):
    # One byte under: Werkzeug refuses a body of exactly MAX_CONTENT_LENGTH from a server that
    # marks its input as terminated, as waitress and gunicorn both do.
    status, _ = _multipart_login(served.url, LIMIT_MB * MB - 1)
    assert status == 302  # signed in: the form was read whole and the password checked


def test_a_request_over_the_upload_limit_is_refused_before_its_body_is_sent(served):
    status, seconds = _multipart_login(served.url, LIMIT_MB * MB + 1)
    assert status == 413 and seconds < 5
    assert served.get("/healthz", timeout=2) == 200


def test_the_served_app_still_reads_the_address_from_a_trusted_proxy(instance):
    folder, env = instance
    server = Served(env, folder / "server-behind-proxy.log", TRUSTED_PROXIES="1")
    try:
        try:
            log_in(server.url, "quantri", "sai-mat-khau", **{"X-Forwarded-For": "192.0.2.44"})
        except urllib.error.HTTPError:
            pass  # the refusal itself is tests/test_auth.py's business
        # The failed login is logged with the client's address as the proxy forwarded it.
        assert re.search(r"Failed login for 'quantri' from 192\.0\.2\.44", server.log_text())
    finally:
        server.stop()
