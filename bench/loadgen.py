"""The load generator: a process of its own (asyncio + aiohttp) that drives the app's server over HTTP.

Usage: python bench/loadgen.py CONFIG.json OUT.json
CONFIG: {"base": URL, "scenario": "floor" | "status" | "mixed", "duration": s, "concurrency": n
(floor, status), "vus": n (mixed), "think": [lo, hi] (mixed), "warmup": s (floor, status),
"accounts": {...}, "server_pids": [the server's processes]}.
Users log in first (not timed); then they all act for `duration` seconds. Only requests that
start inside that window are counted; those in flight at its end are waited for.
"""

import asyncio
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

import aiohttp
import psutil
from vusers import Admin, CityAdmin, Recorder, Staff, Supervisor

LOGINS_AT_ONCE = 8  # Argon2 is slow on purpose; the real users do not all arrive in the same second


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def summarize(recorder: Recorder, duration: float) -> dict:
    start, end = recorder.window
    counted = [r for r in recorder.requests if start <= r[1] < end]
    outcomes = Counter(r[3] for r in counted)
    server_errors = sum(n for o, n in outcomes.items() if o.startswith("5"))
    connection_errors = sum(n for o, n in outcomes.items() if o.startswith("conn"))
    client_errors = sum(n for o, n in outcomes.items() if o.startswith("4") and o != "409")
    by_label = {}
    for label in sorted({r[0] for r in counted}):
        times = [r[2] for r in counted if r[0] == label]
        by_label[label] = {
            "requests": len(times),
            "p50_ms": ms(percentile(times, 0.5)),
            "p95_ms": ms(percentile(times, 0.95)),
            "outcomes": dict(Counter(r[3] for r in counted if r[0] == label)),
        }
    times = [r[2] for r in counted]
    return {
        "duration_s": round(duration, 2),
        "requests": len(counted),
        "rps": round(len(counted) / duration, 1) if duration else None,
        "p50_ms": ms(percentile(times, 0.5)),
        "p95_ms": ms(percentile(times, 0.95)),
        "p99_ms": ms(percentile(times, 0.99)),
        "max_ms": ms(max(times) if times else None),
        "errors": server_errors + connection_errors + client_errors,
        "errors_5xx": server_errors,
        "errors_connection": connection_errors,
        "errors_4xx": client_errors,
        "conflicts_409": outcomes.get("409", 0),
        "outcomes": dict(outcomes),
        "by_label": by_label,
        "connection_error_examples": recorder.connection_errors[:10],
    }


class CpuMeter:
    """CPU used during the timed window by the server's processes and by this one (in % of one core),
    and how busy each core was (by anything: the databases and other work on the machine too)."""

    def __init__(self, pids: list[int]):
        self.processes, self.me = [psutil.Process(pid) for pid in pids], psutil.Process()

    def start(self) -> None:
        self.started, self.own, self.cores = time.perf_counter(), self._own(), psutil.cpu_times(percpu=True)
        self.mine = sum(self.me.cpu_times()[:2])

    def _own(self) -> float:
        return sum(sum(p.cpu_times()[:2]) for p in self.processes)

    def stop(self) -> dict:
        seconds = time.perf_counter() - self.started
        mine = round(100 * (sum(self.me.cpu_times()[:2]) - self.mine) / seconds)
        cores = []
        for before, after in zip(self.cores, psutil.cpu_times(percpu=True)):
            busy = (sum(after) - after.idle - after.iowait) - (sum(before) - before.idle - before.iowait)
            cores.append(round(100 * busy / max(sum(after) - sum(before), 1e-9)))
        cpu = self._own() - self.own
        return {
            "server_cpu_percent": round(100 * cpu / seconds),
            "server_cpu_seconds": round(cpu, 3),
            "load_generator_cpu_percent": mine,
            "cores_busy_percent": cores,
        }


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


async def floor(config: dict) -> dict:
    """`concurrency` connections GET the trivial route back to back."""
    recorder = Recorder()
    connector = aiohttp.TCPConnector(limit=config["concurrency"])
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(deadline: float) -> None:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    async with session.get(config["base"] + "/") as response:
                        await response.read()
                        outcome = str(response.status)
                except aiohttp.ClientError as error:
                    outcome = f"conn:{type(error).__name__}"
                recorder.add("floor", started, time.perf_counter() - started, outcome)

        warm_up = time.perf_counter() + config.get("warmup", 1)
        await asyncio.gather(*(one(warm_up) for _ in range(config["concurrency"])))
        recorder.requests.clear()
        start = time.perf_counter()
        recorder.window = (start, start + config["duration"])
        meter = CpuMeter(config.get("server_pids", []))
        meter.start()
        await asyncio.gather(*(one(recorder.window[1]) for _ in range(config["concurrency"])))
        cpu = meter.stop()
    return {**summarize(recorder, config["duration"]), **cpu}


async def log_in_all(users: list) -> dict:
    """Start every user, a few at a time; how long it took and who could not."""
    gate, failures = asyncio.Semaphore(LOGINS_AT_ONCE), []

    async def start(user) -> None:
        async with gate:
            try:
                await user.start()
            except Exception as error:  # noqa: BLE001 — reported, and the user sits the run out
                failures.append(f"{user.username}: {error}")
                user.failed = True

    started = time.perf_counter()
    await asyncio.gather(*(start(u) for u in users))
    return {"users": len(users), "seconds": round(time.perf_counter() - started, 1), "failures": failures}


async def status(config: dict) -> dict:
    """`concurrency` staff users, each changing the status of its own milestone item back to back."""
    recorder, accounts = Recorder(), config["accounts"]
    users = []
    for n in range(config["concurrency"]):
        username, slug = accounts["staff"][n % len(accounts["staff"])]
        users.append(Staff(config["base"], username, accounts["password"], recorder, random.Random(n), slug=slug))
    login = await log_in_all(users)
    taken = set()
    for user in users:
        free = [i for i in user.milestones() if i["id"] not in taken]
        user.item = free[0] if free else None
        if user.item:
            taken.add(user.item["id"])

    async def loop(user, deadline: float) -> None:
        while user.item and not getattr(user, "failed", False) and time.perf_counter() < deadline:
            current = user.item["status"]
            await user.set_status(user.item, "dang_thuc_hien" if current != "dang_thuc_hien" else "chua_thuc_hien")

    warm_up = time.perf_counter() + config.get("warmup", 1)
    await asyncio.gather(*(loop(u, warm_up) for u in users))
    recorder.requests.clear()
    meter = CpuMeter(config.get("server_pids", []))
    meter.start()
    start = time.perf_counter()
    recorder.window = (start, start + config["duration"])
    await asyncio.gather(*(loop(u, recorder.window[1]) for u in users))
    cpu = meter.stop()
    await asyncio.gather(*(u.close() for u in users))
    result = summarize(recorder, config["duration"])
    result.update(login=login, writes=recorder.writes, users_without_item=sum(1 for u in users if not u.item), **cpu)
    return result


async def mixed(config: dict) -> dict:
    """Staff, supervisors and admins acting with think time for `duration` seconds. With the Sở's
    accounts in `accounts` (a city database), half of the admins are the Sở's."""
    recorder, accounts, vus = Recorder(), config["accounts"], config["vus"]
    admins = max(1, round(vus * 0.1))
    supervisors = max(1, round(vus * 0.2))
    city_accounts = accounts.get("city_admin", []) + accounts.get("city_viewer", [])
    city_users = max(1, admins // 2) if city_accounts else 0
    admins = max(1, admins - city_users)
    staff_count = max(1, vus - admins - supervisors - city_users)
    users, base, password = [], config["base"], accounts["password"]
    for n in range(staff_count):
        username, slug = accounts["staff"][n % len(accounts["staff"])]
        users.append(Staff(base, username, password, recorder, random.Random(n), slug=slug))
    for n in range(supervisors):
        users.append(
            Supervisor(
                base,
                accounts["supervisor"][n % len(accounts["supervisor"])],
                password,
                recorder,
                random.Random(1000 + n),
            )
        )
    for n in range(admins):
        users.append(
            Admin(
                base,
                accounts["ward_admin"][n % len(accounts["ward_admin"])],
                password,
                recorder,
                random.Random(2000 + n),
            )
        )
    for n in range(city_users):
        users.append(
            CityAdmin(base, city_accounts[n % len(city_accounts)], password, recorder, random.Random(3000 + n))
        )
    login = await log_in_all(users)
    login["errors"] = sum(1 for r in recorder.requests if r[3].startswith(("5", "conn")))
    recorder.requests.clear()
    think = tuple(config["think"])
    meter = CpuMeter(config.get("server_pids", []))
    meter.start()
    start = time.perf_counter()
    recorder.window = (start, start + config["duration"])

    async def loop(user) -> None:
        await asyncio.sleep(user.rng.uniform(0, think[1]))  # users do not all click in the same instant
        while not getattr(user, "failed", False) and time.perf_counter() < recorder.window[1]:
            await user.act()
            await user.think(think)

    await asyncio.gather(*(loop(u) for u in users))
    cpu = meter.stop()
    await asyncio.gather(*(u.close() for u in users))
    result = summarize(recorder, config["duration"])
    result.update(
        login=login,
        writes=recorder.writes,
        **cpu,
        users={
            "staff": staff_count,
            "supervisor": supervisors,
            "ward_admin": admins,
            "city": city_users,
            "distinct_schools": len({u.slug for u in users if isinstance(u, Staff)}),
            "distinct_wards": len({u.slug.rsplit("-", 1)[-1] for u in users if isinstance(u, Staff)}),
        },
    )
    return result


def main() -> None:
    config = json.loads(Path(sys.argv[1]).read_text())
    scenario = {"floor": floor, "status": status, "mixed": mixed}[config["scenario"]]
    result = asyncio.run(scenario(config))
    Path(sys.argv[2]).write_text(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
