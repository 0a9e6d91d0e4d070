#!/usr/bin/env python
"""Many shoppers at once: what they wait, what they cost the server, where it bends.

The example shop runs as in production: gunicorn (sync workers) on PostgreSQL (a scratch
database on 127.0.0.1:5432, created and dropped by the script) with ``--workers``
``db_worker`` processes (or ``rqworker`` with ``--tasks rq``), and the fake provider
(``tryon.testing.FakeChangeClothesServer``, in a process of its own) answering after
L = 3 s with ``MAX_CONCURRENT_CALLS`` high enough not to be the limit.

N simulated shoppers (``--shoppers``, default 50 100 200 400, one run each) do what the
widget does, over HTTP on loopback: open a product page (session and CSRF token), then
``--tryons`` times: upload a photo of their own with consent (``POST api/tryons/``), look
again when the answer says (``poll_after_ms``, with the widget's own bounds: at most 20
requests per try-on, on average one a second), download the result, and look at it
for a while (``--think``, uniform) before the next product. They arrive spread over
``--ramp`` seconds. Each photo is distinct, so every try-on is one paid call.

Baseline, in the same run and under the same load: one more client doing bare provider
calls of a photo and garment of the same sizes, plus the download, one after another.

For each N it prints: try-ons done and the shoppers waiting at once (mean, max); the
perceived wait (POST to result downloaded) as a ratio of the bare median, p50 and p95;
API requests per try-on (mean, max) and per second of waiting; errors (HTTP >= 400,
broken connections, failed or unfinished try-ons); the CPU seconds per try-on of the
server (gunicorn, workers, PostgreSQL backends) and of the fake provider; and how busy
the machine was. Last, ``ratio: X`` = the p95 ratio at 200 shoppers (or the largest N
run). Target: 200 shoppers, 0 errors, p95 <= 1.25.

Every loop is bounded in count and time; everything is on 127.0.0.1.

    python bench/shoppers.py [--shoppers 50 100 200 400] [--workers 48] [--tasks db|rq]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import re
import resource
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import API_KEY, FakeProvider, median, percentile
from bench._shop import (
    ServedShop,
    ShopConfig,
    cpu_seconds,
    create_database,
    drop_database,
    load_average,
    machine_busy,
)

ENDPOINT = "/api/openapi/change-clothes-ai"
CREATE_URL = "/tryon/api/tryons/"
PRODUCTS = ["red-t-shirt", "blue-striped-shirt", "classic-jeans", "green-skirt", "black-hoodie"]
# The widget's own bounds (tryon/static/tryon/widget.js, POLL).
MAX_REQUESTS = 20
BURST, PER_REQUEST = 2, 1.0
MIN_HINT, MAX_HINT = 0.1, 15.0
TRYON_TIMEOUT = 120.0  # a try-on not done by then is an error (and the shopper moves on)
REQUEST_TIMEOUT = 30.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shoppers", type=int, nargs="+", default=[50, 100, 200, 400])
    parser.add_argument("--latency", type=float, default=3.0, help="provider latency L, s")
    parser.add_argument("--tryons", type=int, default=2, help="try-ons per shopper")
    parser.add_argument(
        "--think", type=float, nargs=2, default=[10.0, 30.0], help="seconds between try-ons"
    )
    parser.add_argument("--ramp", type=float, default=30.0, help="arrivals spread over, s")
    parser.add_argument("--workers", type=int, default=48, help="task worker processes")
    parser.add_argument(
        "--interval", type=float, default=0.3, help="db_worker --interval (shoppers: 0.1-0.3)"
    )
    parser.add_argument("--web-workers", type=int, default=5, help="gunicorn sync workers")
    parser.add_argument("--tasks", choices=["db", "rq"], default="db")
    parser.add_argument("--database", default="tryon_bench", help="scratch PostgreSQL db")
    parser.add_argument("--photo", default="600x800", help="uploaded photo WxH")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


# -- pictures --------------------------------------------------------------------------------


def photos(count: int, size: str) -> list[bytes]:
    """Distinct person photos (a mark of their own each), encoded once up front."""
    from PIL import Image, ImageDraw

    from tests import images

    width, height = (int(side) for side in size.lower().split("x"))
    person: Image.Image = images.person_image(width, height)
    made = []
    for i in range(count):
        picture = person.copy()
        draw = ImageDraw.Draw(picture)
        # The number in black and white 16-pixel squares: JPEG keeps them apart (a small
        # change of colour would be quantised away, and two photos would be one).
        for bit in range(16):
            white = (i >> bit) & 1
            draw.rectangle((bit * 16, 0, bit * 16 + 15, 15), fill=(255 * white,) * 3)
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=88)
        made.append(buffer.getvalue())
    return made


def garment_picture() -> bytes:
    from tests import images

    return images.garment_photo(width=800, height=1000)


# -- one run ---------------------------------------------------------------------------------


@dataclass
class TryOnRecord:
    id: str
    sent: float  # wall clock: POST sent
    posted: float  # POST answered
    seen: float  # the look that saw "succeeded" answered
    wait: float  # POST sent -> result downloaded, s
    requests: int  # API requests (POST + looks)


@dataclass
class Run:
    shoppers: int
    records: list[TryOnRecord] = field(default_factory=list)
    bare: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    waiting: int = 0
    waiting_samples: list[int] = field(default_factory=list)


async def shopper(
    run: Run, base_url: str, number: int, pictures: list[bytes], args: argparse.Namespace
) -> None:
    import httpx

    rng = random.Random(args.seed * 100_003 + number)
    await asyncio.sleep(rng.uniform(0, args.ramp))
    async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT) as client:
        for k in range(args.tryons):
            product = PRODUCTS[(number + k) % len(PRODUCTS)]
            try:
                page = await client.get(f"/products/{product}/")
                page.raise_for_status()
                token = re.search(r'data-csrf-token="([^"]+)"', page.text)
                garment = re.search(r'data-garment="(\d+)"', page.text)
                if token is None or garment is None:
                    raise ValueError("no widget on the product page")
                run.waiting += 1
                try:
                    record = await try_on(
                        client, garment.group(1), token.group(1), pictures[k], run
                    )
                finally:
                    run.waiting -= 1
                if record is not None:
                    run.records.append(record)
            except (httpx.HTTPError, AssertionError, ValueError, KeyError) as exc:
                run.errors.append(f"{type(exc).__name__}: {exc}"[:200])
            if k + 1 < args.tryons:
                await asyncio.sleep(rng.uniform(*args.think))


async def try_on(
    client: Any, garment: str, token: str, photo: bytes, run: Run
) -> TryOnRecord | None:
    """One try-on as the widget does it; None (and an error recorded) if it went wrong."""
    started, sent = time.monotonic(), time.time()
    response = await client.post(
        CREATE_URL,
        data={"garment": garment, "consent": "true"},
        files={"model_image": ("me.jpg", photo, "image/jpeg")},
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )
    requests, looks, posted = 1, 0, time.time()
    while True:
        if response.status_code >= 400:
            run.errors.append(f"HTTP {response.status_code} {response.request.method}")
            return None
        data = response.json()
        if data["status"] == "succeeded":
            break
        if data["status"] == "failed":
            run.errors.append(f"failed try-on: {data.get('error')}")
            return None
        now = time.monotonic()
        hint = data.get("poll_after_ms")
        delay = 1.0 if hint is None else min(max(hint / 1000, MIN_HINT), MAX_HINT)
        delay = max(delay, started + (looks + 1 - BURST) * PER_REQUEST - now)
        if requests >= MAX_REQUESTS or now + delay - started > TRYON_TIMEOUT:
            run.errors.append(f"unfinished after {requests} requests, {now - started:.0f} s")
            return None
        await asyncio.sleep(delay)
        response = await client.get(data["url"], headers={"Accept": "application/json"})
        requests, looks = requests + 1, looks + 1
    seen = time.time()
    result = await client.get(data["result_url"])
    if result.status_code != 200:
        run.errors.append(f"HTTP {result.status_code} on the result")
        return None
    return TryOnRecord(
        id=data["id"],
        sent=sent,
        posted=posted,
        seen=seen,
        wait=time.monotonic() - started,
        requests=requests,
    )


async def bare_client(
    run: Run, fake_url: str, photo: bytes, garment: bytes, done: asyncio.Event
) -> None:
    """Bare provider calls of the same sizes, one after another, until the run is done."""
    import httpx

    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT) as client:
        for _ in range(10_000):
            if done.is_set():
                return
            started = time.monotonic()
            response = await client.post(
                fake_url + ENDPOINT,
                headers={"Authorization": f"Bearer {API_KEY}"},
                files={
                    "modelImg": ("me.jpg", photo, "image/jpeg"),
                    "garmentImg": ("tee.jpg", garment, "image/jpeg"),
                },
                data={"category": "upper_body"},
            )
            body = response.json()
            assert body["code"] == 200, body
            assert (await client.get(body["data"]["resultImgUrl"])).status_code == 200
            run.bare.append(time.monotonic() - started)


async def sample_waiting(run: Run, done: asyncio.Event) -> None:
    for _ in range(100_000):
        if done.is_set():
            return
        run.waiting_samples.append(run.waiting)
        await asyncio.sleep(0.5)


async def load(
    n: int, base_url: str, fake_url: str, pictures: list[bytes], garment: bytes, args: Any
) -> Run:
    run = Run(shoppers=n)
    done = asyncio.Event()
    side = [
        asyncio.create_task(bare_client(run, fake_url, pictures[0], garment, done)),
        asyncio.create_task(sample_waiting(run, done)),
    ]
    # Photos of their own: pictures[0] is the bare client's, then args.tryons a shopper.
    shoppers = [
        shopper(run, base_url, i, pictures[1 + i * args.tryons : 1 + (i + 1) * args.tryons], args)
        for i in range(n)
    ]
    bound = args.ramp + args.tryons * (args.think[1] + TRYON_TIMEOUT + 2 * REQUEST_TIMEOUT)
    try:
        await asyncio.wait_for(asyncio.gather(*shoppers), timeout=bound)
    except TimeoutError:
        run.errors.append(f"the run did not end within {bound:.0f} s")
    done.set()
    await asyncio.gather(*side, return_exceptions=True)
    return run


# -- measuring -------------------------------------------------------------------------------


def postgres_backends(database: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend serving ``database`` now."""
    import psycopg

    from bench._shop import POSTGRES_DSN

    with psycopg.connect(POSTGRES_DSN, autocommit=True) as connection:
        pids = [
            row[0]
            for row in connection.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (database,)
            )
        ]
    return {pid: cpu_seconds([pid]) for pid in pids}


def stages(run: Run, database: str) -> dict[str, list[float]]:
    """Where each try-on's time went, from the client's clock and the row's timestamps."""
    import psycopg

    from bench._shop import POSTGRES_DSN

    dsn = POSTGRES_DSN.replace("dbname=test", f"dbname={database}")
    with psycopg.connect(dsn) as connection:
        rows = {
            str(row[0]): row[1:]
            for row in connection.execute(
                "SELECT id, created_at, started_at, finished_at FROM tryon_tryon"
                " WHERE id = ANY(%s)",
                ([record.id for record in run.records],),
            )
        }
    found: dict[str, list[float]] = {"post": [], "pickup": [], "job": [], "seen": [], "rest": []}
    for record in run.records:
        created, started, finished = rows[record.id]
        if started is None:  # answered from an earlier result: no call, no stages
            continue
        created, started, finished = created.timestamp(), started.timestamp(), finished.timestamp()
        found["post"].append(record.posted - record.sent)
        found["pickup"].append(started - created)
        found["job"].append(finished - started)
        found["seen"].append(record.seen - finished)
        found["rest"].append(record.sent + record.wait - record.seen)
    return found


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(
    n: int, shop: ServedShop, fake: FakeProvider, pictures: list[bytes], garment: bytes, args: Any
) -> dict[str, Any]:
    web, workers = shop.web_pids(), shop.worker_pids()
    fake_pid = [fake._process.pid] if fake._process.pid else []
    before = {
        "web": cpu_seconds(web),
        "workers": cpu_seconds(workers),
        "fake": cpu_seconds(fake_pid),
        "db": postgres_backends(args.database),
        "own": own_cpu(),
        "machine": machine_busy(),
        "wall": time.monotonic(),
    }
    run = asyncio.run(load(n, shop.base_url, fake.base_url, pictures, garment, args))
    parts = stages(run, args.database) if run.records else {}
    db_after = postgres_backends(args.database)
    db = sum(cpu - before["db"].get(pid, 0.0) for pid, cpu in db_after.items())
    busy1, total1 = machine_busy()
    busy0, total0 = before["machine"]
    return {
        "run": run,
        "stages": parts,
        "wall": time.monotonic() - before["wall"],
        "web": cpu_seconds(web) - before["web"],
        "workers": cpu_seconds(workers) - before["workers"],
        "db": db,
        "fake": cpu_seconds(fake_pid) - before["fake"],
        "own": own_cpu() - before["own"],
        "busy": (busy1 - busy0) / (total1 - total0),
    }


def report(figures: dict[str, Any], args: argparse.Namespace) -> tuple[float, str]:
    run: Run = figures["run"]
    done = len(run.records)
    expected = run.shoppers * args.tryons
    bare = median(run.bare) if run.bare else float("nan")
    ratios = [r.wait / bare for r in run.records]
    requests = [r.requests for r in run.records]
    waited = sum(r.wait for r in run.records)
    p50 = percentile(ratios, 0.5) if ratios else float("nan")
    p95 = percentile(ratios, 0.95) if ratios else float("nan")
    per_tryon = max(done, 1)
    waiting = run.waiting_samples or [0]
    server = figures["web"] + figures["workers"] + figures["db"]
    print(f"N = {run.shoppers} shoppers, {args.tryons} try-ons each:")
    print(
        f"  try-ons done {done}/{expected} in {figures['wall']:.0f} s; waiting at once: mean "
        f"{sum(waiting) / len(waiting):.1f}, max {max(waiting)}"
    )
    print(
        f"  bare call + download under the same load: median {bare * 1000:.0f} ms "
        f"({len(run.bare)} calls)"
    )
    if ratios:
        print(
            f"  perceived wait / bare: p50 {p50:.3f}, p95 {p95:.3f}, max {max(ratios):.3f} "
            f"(p50 wait {percentile([r.wait for r in run.records], 0.5) * 1000:.0f} ms)"
        )
        print(
            f"  API requests per try-on: mean {sum(requests) / done:.2f}, max {max(requests)}; "
            f"{sum(requests) / waited:.2f} per second of waiting; by count "
            f"{dict(sorted(Counter(requests).items()))}"
        )
    labels = {
        "post": "POST answered",
        "pickup": "row created -> provider slot taken",
        "job": "slot taken -> finished",
        "seen": "finished -> the look that saw it",
        "rest": "then the result downloaded",
    }
    for name, values in figures["stages"].items():
        print(
            f"    {labels[name]:36} p50 {percentile(values, 0.5) * 1000:6.0f} ms, "
            f"p95 {percentile(values, 0.95) * 1000:6.0f} ms"
        )
    print(f"  errors: {len(run.errors)}" + (f" (first: {run.errors[:3]})" if run.errors else ""))
    print(
        f"  CPU s per try-on: server {server / per_tryon:.3f} (gunicorn "
        f"{figures['web'] / per_tryon:.3f}, task workers {figures['workers'] / per_tryon:.3f}, "
        f"PostgreSQL {figures['db'] / per_tryon:.3f}); fake provider "
        f"{figures['fake'] / per_tryon:.3f}; load generator {figures['own'] / per_tryon:.3f}"
    )
    print(f"  machine: {100 * figures['busy']:.0f} % of its CPUs busy; load {load_average()}")
    row = (
        f"| {run.shoppers} | {done}/{expected} | {sum(waiting) / len(waiting):.0f} / "
        f"{max(waiting)} | {p50:.2f} | {p95:.2f} | "
        f"{(sum(requests) / done) if done else float('nan'):.2f} | {len(run.errors)} | "
        f"{server / per_tryon:.3f} | {100 * figures['busy']:.0f} % |"
    )
    return p95, row


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.tasks == "db" and args.workers + args.web_workers > 80:
        print("more than 80 connections: PostgreSQL allows 100 in all", file=sys.stderr)
        return 2
    print(f"load average before: {load_average()}")
    # Never the same photo twice in the whole run: a repeat is answered with no call.
    pictures = photos(3 + sum(args.shoppers) * args.tryons + len(args.shoppers), args.photo)
    garment = garment_picture()
    worker = "db_worker" if args.tasks == "db" else "rqworker"
    print(
        f"example shop: gunicorn ({args.web_workers} sync workers), PostgreSQL, "
        f"{args.workers} {worker}"
        + (f" (--interval {args.interval:g})" if args.tasks == "db" else "")
        + f"; fake provider L = {args.latency:g} s in its own process; "
        f"think {args.think[0]:g}-{args.think[1]:g} s, arrivals over {args.ramp:g} s"
    )
    rows = []
    p95_by_n: dict[int, float] = {}
    create_database(args.database)
    try:
        with tempfile.TemporaryDirectory(prefix="tryon-shoppers-") as folder:
            config = ShopConfig(
                database=f"postgresql:{args.database}",
                tasks=args.tasks,
                server="gunicorn",
                web_workers=args.web_workers,
                workers=args.workers,
                interval=args.interval,
                slots=max(args.workers, 1),
            )
            with (
                FakeProvider(args.latency) as fake,
                ServedShop(config, fake.base_url, Path(folder)) as shop,
            ):
                # Warm-up: the workers' start and the timings the ETA is taken from.
                asyncio.run(
                    load(3, shop.base_url, fake.base_url, pictures[:4], garment, _quick(args))
                )
                offset = 3
                for n in args.shoppers:
                    share = pictures[offset : offset + 1 + n * args.tryons]
                    offset += n * args.tryons + 1
                    figures = measure(n, shop, fake, share, garment, args)
                    p95, row = report(figures, args)
                    p95_by_n[n] = p95
                    rows.append(row)
                    if shop.alive_workers() < args.workers:
                        print(f"!!! a worker died:\n{shop.log_tail()}", file=sys.stderr)
    finally:
        drop_database(args.database)
    print()
    print(
        "| shoppers | try-ons | waiting mean / max | p50 | p95 | requests/try-on | errors "
        "| server CPU s/try-on | machine busy |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    key = 200 if 200 in p95_by_n else max(p95_by_n)
    print(f"ratio: {p95_by_n[key]:.3f}")
    return 0


def _quick(args: argparse.Namespace) -> argparse.Namespace:
    quick = argparse.Namespace(**vars(args))
    quick.tryons, quick.ramp, quick.think = 1, 0.5, [0.0, 0.0]
    quick.seed = args.seed + 7
    return quick


if __name__ == "__main__":
    sys.exit(main())
