#!/usr/bin/env python
"""The shopper's try-on through the plugin vs a bare call to the provider, same fake.

Plugin: a shopper uploads a photo with consent (``POST /tryon/api/tryons/``, multipart,
answered 202), a worker runs the job (normalise, fingerprint, claim, one provider call,
download the result and its mask, store them), and the shopper polls
``GET /tryon/api/tryons/<id>/`` until it says ``succeeded``.

Bare: one ``httpx`` POST of the same photo and garment picture to the same fake
provider (what a shop would write without the plugin), answered with the result URL.

The fake provider (``tryon.testing.FakeChangeClothesServer``, latency L = 1 s by default)
runs in its own process, as the provider is another machine. The worker runs in this
process by default: one thread fed by the task backend's queue as soon as a job is
enqueued (``bench._common.QueueBackend`` + ``Worker``, calling ``run_tryon``'s body as a
``db_worker`` or RQ worker would), so queue pick-up time is ~0 here; a real worker adds
its own polling interval. That thread shares the GIL with the shopper's polls (which a
web process would serve elsewhere); ``--worker process`` runs it in a process of its own
instead (``WorkerProcess``: same SQLite file and media folder, a process queue).
The shopper polls every ``--poll`` seconds (default 25 ms).

What it leaves out, so its ratio is a floor, not what a shopper sees: the widget does not
poll every 25 ms (it looks again when the server's hint says, about a quarter of a second
after the end at best), and a real worker does not get its task the instant it is queued
(``db_worker`` looks every ``--interval``). ``bench/shopper.py`` measures what a shopper
sees: a real browser, a real worker.

Each side runs ``--repeat`` times, interleaved, each plugin run with a photo of its own
(an identical photo would be answered from the first result, with no call); after one
warm-up of each. Prints the figures, then last ``ratio: X`` = plugin median / bare median
(target <= 1.10).

    python bench/overhead.py [--latency 1.0] [--repeat 7] [--photo 1536x2048]
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (
    API_KEY,
    FakeProvider,
    Worker,
    WorkerProcess,
    median,
    ms,
    setup_django,
)

CREATE_URL = "/tryon/api/tryons/"
WORKER_LABELS = {
    "thread": "a thread of this process fed by the task queue (bench._common.Worker)",
    "process": "a process of its own fed by the task queue (bench._common.WorkerProcess)",
}
ENDPOINT = "/api/openapi/change-clothes-ai"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=1.0, help="L seconds (default 1.0)")
    parser.add_argument("--repeat", type=int, default=7, help="runs of each side (default 7)")
    parser.add_argument(
        "--photo",
        default="1536x2048",
        help="shopper photo WxH (default 1536x2048, 3 MP; 3024x4032 is a 12 MP phone photo)",
    )
    parser.add_argument("--poll", type=float, default=0.025, help="shopper poll period, s")
    parser.add_argument(
        "--worker",
        choices=["thread", "process"],
        default="thread",
        help="thread: a thread of this process (default); process: a process of its own, "
        "as db_worker or rqworker, so the shopper's polls do not share its GIL",
    )
    return parser.parse_args(argv)


# -- pictures ------------------------------------------------------------------------------


def shopper_photos(count: int, size: str) -> list[bytes]:
    """Distinct person photos as a phone would send them: sensor grain, JPEG quality 90."""
    from PIL import Image, ImageDraw

    from tests import images

    width, height = (int(side) for side in size.lower().split("x"))
    person = images.person_image(width, height)
    photos = []
    for i in range(count):
        grain = Image.effect_noise((width, height), 24).convert("RGB")
        picture = Image.blend(person, grain, 0.15)
        # A small mark of its own: distinct bytes, so no two requests share a result.
        ImageDraw.Draw(picture).rectangle((0, 0, 40, 40), fill=(i * 7 % 256, 90, 200))
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=90)
        photos.append(buffer.getvalue())
    return photos


def garment_picture() -> bytes:
    from tests import images

    return images.garment_photo(width=800, height=1000)


def make_garment(content: bytes) -> Any:
    from django.core.files.base import ContentFile

    from tryon.models import Garment

    garment = Garment(name="Red tee", category="upper_body")
    garment.image.save("tee.jpg", ContentFile(content), save=False)
    garment.save()
    return garment


# -- the two sides -----------------------------------------------------------------------


@dataclass
class PluginRun:
    total: float  # POST to the poll that saw "succeeded"
    post: float  # the POST's own time (202)
    queued: float  # row created -> job started
    job: float  # job started -> finished (includes the provider call)
    seen_after: float  # job finished -> a poll saw it


def plugin(garment_id: int, photo: bytes, poll: float) -> PluginRun:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from tryon.models import TryOn

    shopper = Client()
    upload = SimpleUploadedFile("me.jpg", photo, content_type="image/jpeg")
    started = time.perf_counter()
    response = shopper.post(
        CREATE_URL, {"garment": garment_id, "model_image": upload, "consent": "true"}
    )
    posted = time.perf_counter()
    assert response.status_code == 202, response.content
    while True:
        status = shopper.get(response["Location"]).json()["status"]
        if status in ("succeeded", "failed"):
            break
        time.sleep(poll)
    seen, seen_wall = time.perf_counter(), time.time()
    assert status == "succeeded", response["Location"]
    row = TryOn.objects.get(pk=response.json()["id"])
    assert row.provider_calls == 1
    assert row.result_image
    return PluginRun(
        total=seen - started,
        post=posted - started,
        queued=(row.started_at - row.created_at).total_seconds(),
        job=(row.finished_at - row.started_at).total_seconds(),
        seen_after=seen_wall - row.finished_at.timestamp(),
    )


def bare(http: Any, base_url: str, photo: bytes, garment: bytes) -> tuple[float, str]:
    """One POST, as a shop would write it without the plugin; (seconds, result URL)."""
    started = time.perf_counter()
    response = http.post(
        base_url + ENDPOINT,
        headers={"Authorization": f"Bearer {API_KEY}"},
        files={
            "modelImg": ("me.jpg", photo, "image/jpeg"),
            "garmentImg": ("tee.jpg", garment, "image/jpeg"),
        },
        data={"category": "upper_body"},
    )
    elapsed = time.perf_counter() - started
    body = response.json()
    assert response.status_code == 200, body
    assert body["code"] == 200, body
    return elapsed, body["data"]["resultImgUrl"]


# -- report ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import httpx

    runs: list[PluginRun] = []
    bare_times: list[float] = []
    download_times: list[float] = []
    photos = shopper_photos(args.repeat + 1, args.photo)
    garment_bytes = garment_picture()
    with FakeProvider(args.latency) as fake:
        setup_django(fake.base_url)
        garment = make_garment(garment_bytes)
        worker = Worker() if args.worker == "thread" else WorkerProcess(fake.base_url)
        with worker, httpx.Client(timeout=60) as http:
            for i, photo in enumerate(photos):
                run = plugin(garment.pk, photo, args.poll)
                bare_time, result_url = bare(http, fake.base_url, photo, garment_bytes)
                download = time.perf_counter()
                assert http.get(result_url).status_code == 200
                download = time.perf_counter() - download
                if i == 0:
                    continue  # warm-up: imports, first connections, caches
                runs.append(run)
                bare_times.append(bare_time)
                download_times.append(download)
        assert not worker.errors, worker.errors
        calls = fake.stop()

    expected_calls = 2 * len(photos)
    print(
        f"fake provider latency L: {args.latency:g} s; shopper photo {args.photo} "
        f"({median([len(p) for p in photos]) / 1e3:.0f} kB); garment 800x1000"
    )
    print(f"worker: {WORKER_LABELS[args.worker]}")
    print(f"runs: {len(runs)} of each side, interleaved, after 1 warm-up each")
    print(
        f"bare POST: median {ms(median(bare_times))} "
        f"(min {ms(min(bare_times))}, max {ms(max(bare_times))})"
    )
    print(f"bare POST + GET result: median {ms(median(bare_times) + median(download_times))}")
    totals = [run.total for run in runs]
    print(
        f"plugin, upload to poll seeing succeeded: median {ms(median(totals))} "
        f"(min {ms(min(totals))}, max {ms(max(totals))}; poll every {ms(args.poll)})"
    )
    print(f"  POST answered 202: median {ms(median([r.post for r in runs]))}")
    print(f"  queued before the worker took it: median {ms(median([r.queued for r in runs]))}")
    print(f"  job (provider call included): median {ms(median([r.job for r in runs]))}")
    print(f"  finished until a poll saw it: median {ms(median([r.seen_after for r in runs]))}")
    print(f"  overhead over bare: median {ms(median(totals) - median(bare_times))}")
    print(f"provider calls: {calls} (expected {expected_calls}: one per run of each side)")
    print(
        f"left out: no shopper polls every {ms(args.poll)} (the widget looks when the server "
        "says) and no real worker gets its task the instant it is queued (db_worker looks "
        "every --interval); bench/shopper.py measures both, in a real browser"
    )
    if calls != expected_calls:
        print("FAIL: unexpected provider calls", file=sys.stderr)
        return 1
    print(f"ratio: {median(totals) / median(bare_times):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
