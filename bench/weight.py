"""First-load page weight: what a browser with an empty cache fetches, and the bytes on the wire.

Each page is opened in a fresh Chromium context (an empty cache; the session cookie of a
login done in another context) and every request it makes is listed: the page, its
stylesheets, scripts, icons, whatever they pull in. Then each of those URLs is fetched
again with `Accept-Encoding: gzip` only, and its status line, headers and (compressed)
body are counted: "bytes on the wire, gzip". Chromium's own transfer sizes, with whatever
encoding it negotiated (it also offers br and zstd), are reported beside them. A request
Chromium answers from its memory cache within the same load (the favicon, asked for twice)
never reaches the network and is not counted.
"""

import http.client
import http.cookiejar
import os
import urllib.parse
import urllib.request
from urllib.parse import urlsplit

import htmlparse

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _log_in(base: str, username: str, password: str) -> tuple[dict, str]:
    """Log in through the form (over HTTP, which is quicker than driving the browser through it);
    the session cookie as a Playwright storage state, and the page the app sent us to."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    token = htmlparse.csrf_token(opener.open(base + "/login").read().decode())
    form = urllib.parse.urlencode({"username": username, "password": password, "csrf_token": token}).encode()
    landing = opener.open(base + "/login", data=form).read().decode()
    cookies = [
        {
            "name": c.name,
            "value": c.value,
            "domain": c.domain,
            "path": c.path,
            "expires": -1,
            "httpOnly": True,
            "secure": False,
            "sameSite": "Lax",
        }
        for c in jar
    ]
    return {"cookies": cookies, "origins": []}, landing


def _first_load(browser, url: str, state: dict | None) -> list[dict]:
    """Every request of the page's first load with an empty cache, and Chromium's transfer sizes."""
    context = browser.new_context(storage_state=state)
    page = context.new_page()
    seen = []
    page.on("requestfinished", lambda request: seen.append(request))
    page.on("requestfailed", lambda request: seen.append(request))
    response = page.goto(url, wait_until="networkidle")
    if response is None or response.status != 200:
        raise RuntimeError(f"{url} answered {response.status if response else 'nothing'}")
    requests = []
    for request in seen:
        answer = request.response()
        sizes = request.sizes() if answer else {}
        requests.append(
            {
                "url": request.url,
                "status": answer.status if answer else None,
                "encoding": (answer.headers.get("content-encoding") if answer else None) or "identity",
                "browser_bytes": max(0, sizes.get("responseBodySize", 0) + sizes.get("responseHeadersSize", 0)),
            }
        )
        # Nothing came over the network (Chromium reports the body as minus the headers): its cache answered.
        requests[-1]["from_cache"] = answer is not None and requests[-1]["browser_bytes"] == 0
    context.close()
    return requests


def _gzip_wire_bytes(url: str, cookies: list[dict]) -> tuple[int, int, str]:
    """(bytes of status line + headers + body, body bytes, encoding) when only gzip is accepted."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    headers = {"Accept-Encoding": "gzip", "Accept": "text/html,*/*"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{c['name']}={c['value']}" for c in cookies)
    connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers)
    response = connection.getresponse()
    body = response.read()  # http.client does not decompress: these are the bytes sent
    head = len(f"HTTP/1.1 {response.status} {response.reason}\r\n") + 2
    head += sum(len(name) + len(value) + 4 for name, value in response.getheaders())
    connection.close()
    return head + len(body), len(body), response.getheader("Content-Encoding") or "identity"


def measure(base: str, accounts: dict) -> dict:
    """Login, a school's checklist, an inspection and the rollup, each as the user who opens it."""
    from playwright.sync_api import sync_playwright

    password = accounts["password"]
    staff, slug = accounts["staff"][0]
    results = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            supervisor_state, landing = _log_in(base, accounts["supervisor"][0], password)
            visits = htmlparse.visit_ids(landing)
            pages = [
                ("login", None, "/login"),
                ("checklist", _log_in(base, staff, password)[0], f"/schools/{slug}"),
                ("inspection", supervisor_state, f"/inspections/{visits[0]}" if visits else "/inspections"),
                ("rollup", _log_in(base, accounts["ward_admin"][0], password)[0], "/rollup"),
            ]
            for name, state, path in pages:
                everything = _first_load(browser, base + path, state)
                requests = [r for r in everything if not r["from_cache"]]
                cookies = (state or {}).get("cookies", [])
                for request in requests:
                    wire, body, encoding = _gzip_wire_bytes(request["url"], cookies)
                    request.update(gzip_wire_bytes=wire, gzip_body_bytes=body, gzip_encoding=encoding)
                    request["url"] = request["url"].removeprefix(base)
                results[name] = {
                    "url": path,
                    "requests": len(requests),
                    "wire_bytes_gzip": sum(r["gzip_wire_bytes"] for r in requests),
                    "browser_bytes": sum(r["browser_bytes"] for r in requests),
                    "html_gzip_encoding": next((r["gzip_encoding"] for r in requests if r["url"] == path), None),
                    "answered_from_memory_cache": [r["url"].removeprefix(base) for r in everything if r["from_cache"]],
                    "files": requests,
                }
        finally:
            browser.close()
    return results
