"""Time to first byte of the rollup and the ward report pages while the job worker makes the
3,000-school rollup XLSX (issue 16): the web server (waitress, as `make run`) and the worker
(`flask --app aiplan worker`, as `make run --worker` starts it) run side by side on the same cores.

First each page is fetched `idle_runs` times with nothing else running (the baseline); then a ward
admin asks for the XLSX as a job, and as soon as one is done the next is asked for, for `duration`
seconds, while the pages are fetched one after the other. Each fetch is timed from sending the
request to the arrival of the response's status line and headers (the app renders a page whole
before sending, so this is its server time plus the network's round trip).
"""

import http.client
import http.cookiejar
import re
import statistics
import time
import urllib.parse
import urllib.request

import htmlparse

PAGES = ("/rollup", "/ward/report")
JOB_LINK = re.compile(r"/jobs/(\d+)$")


class Session:
    def __init__(self, base: str, username: str, password: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        token = htmlparse.csrf_token(self.opener.open(base + "/login").read().decode())
        form = urllib.parse.urlencode({"username": username, "password": password, "csrf_token": token}).encode()
        self.opener.open(base + "/login", data=form).read()

    def cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def ttfb(self, path: str) -> float:
        """Seconds from sending GET `path` to its status line and headers; the body is then read."""
        host = urllib.parse.urlsplit(self.base).netloc
        connection = http.client.HTTPConnection(host, timeout=120)
        try:
            started = time.perf_counter()
            connection.request("GET", path, headers={"Cookie": self.cookie(), "Accept-Encoding": "gzip"})
            response = connection.getresponse()
            first = time.perf_counter() - started
            response.read()
            if response.status != 200:
                raise RuntimeError(f"GET {path} answered {response.status}")
            return first
        finally:
            connection.close()

    def ask_xlsx(self) -> int:
        page = self.opener.open(self.base + "/rollup").read().decode()
        token = htmlparse.csrf_token(page)
        plan = re.search(r'name="plan" value="(\d+)"', page)
        if plan is None:
            raise RuntimeError("the rollup page has no job form: JOB_MIN_SCHOOLS above the ward's schools?")
        form = {"csrf_token": token, "kind": "rollup_xlsx", "plan": plan.group(1)}
        response = self.opener.open(self.base + "/jobs", data=urllib.parse.urlencode(form).encode())
        response.read()
        found = JOB_LINK.search(response.geturl())
        if found is None:
            raise RuntimeError(f"asking for the job landed on {response.geturl()}")
        return int(found.group(1))

    def job_state(self, job_id: int) -> str:
        html = self.opener.open(f"{self.base}/jobs/{job_id}").read().decode()
        if "Tải về (" in html:
            return "done"
        if "Không chuẩn bị được tệp" in html:
            raise RuntimeError(f"job {job_id} failed:\n{html[-2000:]}")
        return "running"


def summary(times: list[float]) -> dict:
    ordered = sorted(times)
    return {
        "runs": len(ordered),
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def measure(base: str, username: str, password: str, idle_runs: int, duration: float, log) -> dict:
    session = Session(base, username, password)
    for path in PAGES:  # warm: templates compiled, caches filled
        session.ttfb(path)
    idle = {path: [session.ttfb(path) for _ in range(idle_runs)] for path in PAGES}
    medians = ", ".join(f"{path} {summary(times)['median_ms']} ms" for path, times in idle.items())
    log(f"jobs: idle {medians}")

    busy: dict[str, list[float]] = {path: [] for path in PAGES}
    job_seconds: list[float] = []
    job_id, asked = session.ask_xlsx(), time.perf_counter()
    deadline = time.perf_counter() + duration
    while True:
        for path in PAGES:
            busy[path].append(session.ttfb(path))
        if session.job_state(job_id) == "done":
            job_seconds.append(time.perf_counter() - asked)
            if time.perf_counter() > deadline:
                break
            job_id, asked = session.ask_xlsx(), time.perf_counter()
    return {
        "idle": {path: summary(times) for path, times in idle.items()},
        "during_xlsx_job": {path: summary(times) for path, times in busy.items()},
        "xlsx_jobs": len(job_seconds),
        "xlsx_job_seconds_median": round(statistics.median(job_seconds), 2),
    }
