"""Peak memory of the app process while a large evidence file is uploaded: it must stream.

The file looks like an MP4 to the evidence store (a valid `ftyp` box, then an `mdat` box of
filler), is generated while it is sent (the client holds 1 MB at a time), and goes to one
checklist item of a school's staff, as the item's file form sends it. The app process's
resident memory is sampled every 10 ms with psutil: the baseline is taken just before the
upload (after a small warm-up upload), the peak from its start until the answer came back.
"""

import http.cookiejar
import statistics
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import htmlparse
import psutil

MB = 1024 * 1024
SAMPLE_EVERY = 0.01


def mp4_chunks(size: int, chunk: int = MB):
    """`size` bytes of an ISO base media file: ftyp, then one mdat box of filler."""
    ftyp = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
    mdat = (size - len(ftyp)).to_bytes(4, "big") + b"mdat"
    yield ftyp + mdat
    block = (uuid.uuid4().bytes * (chunk // 16 + 1))[:chunk]
    left = size - len(ftyp) - len(mdat)
    while left > 0:
        yield block[: min(chunk, left)]
        left -= chunk


class Sampler(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.process, self.samples, self.running = psutil.Process(pid), [], True

    def run(self) -> None:
        while self.running:
            self.samples.append((time.perf_counter(), self.process.memory_info().rss))
            time.sleep(SAMPLE_EVERY)

    def between(self, start: float, end: float) -> list[int]:
        return [rss for at, rss in self.samples if start <= at <= end]


def _client(base: str, username: str, password: str):
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    token = htmlparse.csrf_token(opener.open(base + "/login").read().decode())
    body = urllib.parse.urlencode({"username": username, "password": password, "csrf_token": token}).encode()
    opener.open(base + "/login", data=body).read()
    return opener


def _upload(opener, base: str, item: dict, csrf: str, size: int) -> tuple[int, float]:
    boundary = uuid.uuid4().hex
    head = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in (("csrf_token", csrf), ("next", ""), ("description", "Video dài (đo bộ nhớ)"))
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="video-lon.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    )
    tail = f"\r\n--{boundary}--\r\n".encode()
    head = head.encode()

    def body():
        yield head
        yield from mp4_chunks(size)
        yield tail

    request = urllib.request.Request(
        base + item["upload_action"],
        data=body(),
        method="POST",
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(len(head) + size + len(tail)),
            "HX-Request": "true",
            "HX-Target": f"files-item-{item['id']}",
            "X-CSRFToken": csrf,
        },
    )
    started = time.perf_counter()
    try:
        with opener.open(request, timeout=600) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, time.perf_counter() - started


def measure(base: str, worker_pid: int, accounts: dict, size_mb: int) -> dict:
    username, slug = accounts["staff"][0]
    opener = _client(base, username, accounts["password"])
    page = opener.open(f"{base}/schools/{slug}").read().decode()
    csrf = htmlparse.csrf_token(page)
    item = next(i for i in htmlparse.checklist_items(page) if i["kind"] == "evidence" and i["upload_action"])
    warm_status, _ = _upload(opener, base, item, csrf, MB)  # imports, buffers, first temp file
    sampler = Sampler(worker_pid)
    sampler.start()
    time.sleep(0.5)
    before = time.perf_counter()
    status, seconds = _upload(opener, base, item, csrf, size_mb * MB)
    after = time.perf_counter()
    time.sleep(0.2)
    sampler.running = False
    sampler.join()
    baseline = int(statistics.median(sampler.between(before - 0.5, before)))
    peak = max(sampler.between(before, after + 0.2))
    return {
        "file_mb": size_mb,
        "item": item["id"],
        "status": status,
        "warm_up_status": warm_status,
        "seconds": round(seconds, 1),
        "mb_per_s": round(size_mb / seconds, 1) if seconds else None,
        "baseline_rss_mb": round(baseline / MB, 1),
        "peak_rss_mb": round(peak / MB, 1),
        "growth_mb": round((peak - baseline) / MB, 1),
        "samples": len(sampler.samples),
    }
