"""Virtual users: what a school's staff, a supervisor, a ward admin and the Sở do, over HTTP like the page.

Each user logs in once through the form, then acts in a loop. Writes are sent as the htmx
page sends them: a form POST with the CSRF token, HX-Request and the HX-Target of the
component that updates itself; the version the app sends back is used for the next change.
Every write the app acknowledges (2xx/3xx) is recorded with what it set, to be checked in
the database after the run.
"""

import asyncio
import hashlib
import random
import re
import time

import aiohttp
import htmlparse

from aiplan.demo.files import pdf

STATUSES = ("chua_thuc_hien", "dang_thuc_hien", "da_hoan_thanh")
REASON = "Cần bổ sung hồ sơ lớp học (kiểm tra tải)."
KEEP_IDLE = 1.0  # seconds; below gunicorn's --keep-alive (2 by default) and waitress's channel_timeout (60)


class Recorder:
    """Every request's (label, started, seconds, outcome) and every acknowledged write."""

    def __init__(self):
        self.requests: list[tuple[str, float, float, str]] = []
        self.writes: list[dict] = []
        self.connection_errors: list[str] = []
        self.window: tuple[float, float] | None = None  # requests that start in it are counted

    def add(self, label: str, started: float, seconds: float, outcome: str) -> None:
        self.requests.append((label, started, seconds, outcome))


class User:
    """One browser: its own cookies, its own connection(s)."""

    def __init__(self, base: str, username: str, password: str, recorder: Recorder, rng: random.Random):
        self.base, self.username, self.password = base, username, password
        self.recorder, self.rng = recorder, rng
        # An idle connection is dropped after 1 s, before the server closes it (gunicorn after 2 s):
        # reusing a connection the server is closing fails a POST with "Server disconnected",
        # which a browser hides by sending the request again; this client does not resend.
        self.session = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            connector=aiohttp.TCPConnector(limit=2, keepalive_timeout=KEEP_IDLE),
            timeout=aiohttp.ClientTimeout(total=120),
        )
        self.csrf: str | None = None
        self.page_url, self.location = "/", None

    async def close(self) -> None:
        await self.session.close()

    async def request(self, label: str, method: str, path: str, **kwargs) -> tuple[int, str]:
        """Send one request; (status, body), or (0, "") after a connection error (recorded)."""
        started = time.perf_counter()
        try:
            async with self.session.request(method, self.base + path, allow_redirects=False, **kwargs) as response:
                body = await response.text(errors="replace")
                status, self.location = response.status, response.headers.get("Location")
        except (TimeoutError, aiohttp.ClientError) as error:
            self.recorder.add(label, started, time.perf_counter() - started, f"conn:{type(error).__name__}")
            self.recorder.connection_errors.append(f"{method} {path}: {type(error).__name__}: {error}")
            return 0, ""
        self.recorder.add(label, started, time.perf_counter() - started, str(status))
        return status, body

    async def login(self) -> str:
        """Log in through the form and return the page the app sends this role to."""
        status, page = await self.request("login", "GET", "/login")
        token = htmlparse.csrf_token(page)
        status, _ = await self.request(
            "login",
            "POST",
            "/login",
            data={"username": self.username, "password": self.password, "csrf_token": token or "", "next": ""},
        )
        if status not in (302, 303):
            raise RuntimeError(f"login of {self.username} answered {status}")
        return await self.get_page("home", "/")

    async def get_page(self, label: str, path: str) -> str:
        """A full page, following redirects as the browser would; keeps its CSRF token."""
        for _ in range(5):
            status, page = await self.request(label, "GET", path)
            if status in (301, 302, 303) and self.location:
                path = self.location.removeprefix(self.base)
                continue
            if status == 200:
                self.csrf = htmlparse.csrf_token(page) or self.csrf
                self.page_url = path
            return page
        return ""

    def hx_headers(self, target: str) -> dict:
        return {
            "HX-Request": "true",
            "HX-Target": target,
            "HX-Current-URL": self.base + self.page_url,
            "X-CSRFToken": self.csrf or "",
        }

    async def think(self, think: tuple[float, float]) -> None:
        if think[1] > 0:
            await asyncio.sleep(self.rng.uniform(*think))


class Staff(User):
    """School staff: tick milestone items, upload evidence, reload the checklist."""

    def __init__(self, *args, slug: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.slug, self.items = slug, {}

    async def start(self) -> None:
        await self.login()
        await self.load()

    async def load(self) -> None:
        page = await self.get_page("checklist", f"/schools/{self.slug}")
        self.items = {i["id"]: i for i in htmlparse.checklist_items(page)}

    def milestones(self) -> list[dict]:
        """The milestones the school ticks by hand (mốc 7 has no status buttons: the self-evaluation
        completes it)."""
        return [i for i in self.items.values() if i["kind"] == "milestone" and i["status_action"]]

    async def set_status(self, item: dict, status: str | None = None) -> None:
        """Set a different status on `item`, as a click on one of its buttons does."""
        status = status or self.rng.choice([s for s in STATUSES if s != item["status"]])
        code, body = await self.request(
            "status",
            "POST",
            item["status_action"],
            headers=self.hx_headers(f"item-{item['id']}"),
            data={"csrf_token": self.csrf, "version": str(item["version"]), "status": status},
        )
        version = htmlparse.version_after(body, f"item-{item['id']}") if body else None
        if 200 <= code < 400:
            item["status"] = status
            self.recorder.writes.append(
                {"kind": "status", "item": item["id"], "value": status, "version": version, "user": self.username}
            )
        if version is not None:
            item["version"] = version  # after a 409 too: the app sent the latest item back

    async def upload(self, item: dict) -> None:
        """Attach a small, unique PDF to an item, as the item's file form does."""
        content = pdf(6 * 1024, f"Minh chung {self.username}", ["bench"], random.Random(self.rng.random()))
        form = aiohttp.FormData()
        form.add_field("csrf_token", self.csrf or "")
        form.add_field("next", "")
        form.add_field("description", "Minh chứng tải lên khi đo tải")
        form.add_field("file", content, filename="minh-chung.pdf", content_type="application/pdf")
        code, _ = await self.request(
            "upload", "POST", item["upload_action"], headers=self.hx_headers(f"files-item-{item['id']}"), data=form
        )
        if 200 <= code < 400:
            self.recorder.writes.append(
                {
                    "kind": "upload",
                    "item": item["id"],
                    "sha256": hashlib.sha256(content).hexdigest(),
                    "user": self.username,
                }
            )

    async def act(self) -> None:
        roll = self.rng.random()
        uploadable = [i for i in self.items.values() if i["kind"] == "evidence" and i["upload_action"]]
        if roll < 0.55 and self.milestones():
            await self.set_status(self.rng.choice(self.milestones()))
        elif roll < 0.70 and uploadable:
            await self.upload(self.rng.choice(uploadable))
        else:
            await self.load()


class Supervisor(User):
    """A supervisor: the visits list, a visit's items, verdicts on them."""

    async def start(self) -> None:
        page = await self.login()
        self.visits = htmlparse.visit_ids(page)
        self.items = []
        await self.open_visit()

    async def open_visit(self) -> None:
        if self.visits:
            page = await self.get_page("visit", f"/inspections/{self.rng.choice(self.visits)}")
            self.items = htmlparse.verdict_items(page)

    async def give_verdict(self, item: dict) -> None:
        verdict = "can_bo_sung" if item["verdict"] == "dat" else "dat"
        code, body = await self.request(
            "verdict",
            "POST",
            item["action"],
            headers=self.hx_headers(f"verdict-{item['id']}"),
            data={
                "csrf_token": self.csrf,
                "version": str(item["version"]),
                "verdict": verdict,
                "reason": REASON if verdict == "can_bo_sung" else "",
            },
        )
        version = htmlparse.version_after(body, f"verdict-{item['id']}") if body else None
        if 200 <= code < 400:
            item["verdict"] = verdict
            self.recorder.writes.append(
                {"kind": "verdict", "item": item["id"], "value": verdict, "version": version, "user": self.username}
            )
        if version is not None:
            item["version"] = version

    async def act(self) -> None:
        roll = self.rng.random()
        if roll < 0.5 and self.items:
            await self.give_verdict(self.rng.choice(self.items))
        elif roll < 0.75:
            await self.open_visit()
        else:
            await self.get_page("inspections", "/inspections")


class Admin(User):
    """A ward admin reading the rollup."""

    async def start(self) -> None:
        await self.login()

    async def act(self) -> None:
        await self.get_page("rollup", "/rollup")


WARD_LINK = re.compile(r'href="/city/wards/([a-z0-9-]+)"')


class CityAdmin(User):
    """The Sở (city_admin or city_viewer): the city's page and its JSON, and a ward's rollup by
    the drill-down (/city/wards/<slug>, which leads to that ward's /rollup)."""

    async def start(self) -> None:
        await self.login()
        page = await self.get_page("city", "/city")
        self.wards = sorted(set(WARD_LINK.findall(page)))
        status, _ = await self.request("city.json", "GET", "/city.json")
        self.has_json = status == 200

    async def act(self) -> None:
        roll = self.rng.random()
        if roll < 0.4 or not self.wards:
            await self.get_page("city", "/city")
        elif roll < 0.6 and self.has_json:
            await self.request("city.json", "GET", "/city.json")
        else:
            await self.get_page("city ward", f"/city/wards/{self.rng.choice(self.wards)}")
