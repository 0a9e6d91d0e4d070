#!/usr/bin/env python
"""A repeated try-on is answered from the stored result: no provider call, no waiting.

Against the fake provider answering after L seconds (default 1 s), the first request
for a garment on a preset model is paid: POST ``/tryon/api/tryons/`` (202), a worker
thread runs the job, the shopper polls until it has succeeded (after a warm-up that
loads the API and the image code without calling the provider). Then the same request is
repeated ``--repeat`` times:

- through ``tryon.services.request_tryon`` (what the admin, commands and a shop's own
  code call), each answered at once (``answered_now``);
- through the REST API, each POST from a new shopper (its own session), answered
  ``201`` with the result.

Prints the first request's latency, p50/p95 of each repeated path and the provider calls
(must be 1 in all), then last ``ratio: X`` = repeated p50 through the API / first latency.

    python bench/dedup.py [--latency 1.0] [--repeat 200]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import FakeProvider, Worker, median, ms, percentile, setup_django

CREATE_URL = "/tryon/api/tryons/"
POLL_EVERY = 0.01  # seconds: fine-grained, to time the job rather than the poll period


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=1.0, help="L seconds (default 1.0)")
    parser.add_argument("--repeat", type=int, default=200, help="repeated requests per path")
    return parser.parse_args(argv)


def catalogue() -> tuple[Any, Any]:
    from django.core.files.base import ContentFile

    from tests import images
    from tryon.models import Garment, ModelPhoto

    garment = Garment(name="Red tee", category="upper_body")
    garment.image.save("tee.jpg", ContentFile(images.garment_photo()), save=False)
    garment.save()
    model = ModelPhoto(name="Alex", is_preset=True)
    model.image.save("alex.jpg", ContentFile(images.person_photo()), save=False)
    model.save()
    return garment, model


def warm_up() -> None:
    """Load what a running shop has loaded already, without paying for a call."""
    from django.test import Client

    from tests import images
    from tryon.backends.http import _ssl_context
    from tryon.images import normalize_image

    shopper = Client()
    assert shopper.get("/tryon/api/model-photos/").status_code == 200
    assert shopper.post(CREATE_URL, {}, content_type="application/json").status_code == 400
    normalize_image(images.person_photo())
    _ssl_context()


def first_request(body: dict[str, Any]) -> tuple[float, str]:
    """POST, let the worker run the job, poll until succeeded; (seconds, result URL)."""
    from django.test import Client

    shopper = Client()
    started = time.perf_counter()
    response = shopper.post(CREATE_URL, body, content_type="application/json")
    assert response.status_code == 202, response.content
    location = response["Location"]
    while True:
        polled = shopper.get(location).json()
        if polled["status"] in ("succeeded", "failed"):
            break
        time.sleep(POLL_EVERY)
    elapsed = time.perf_counter() - started
    assert polled["status"] == "succeeded", polled
    return elapsed, polled["result_url"]


def repeated_through_services(garment: Any, model: Any, repeat: int) -> list[float]:
    from tryon import services
    from tryon.models import Garment, ModelPhoto

    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        # As a caller does: the rows fresh from the database, then the request.
        tryon, answered_now = services.request_tryon(
            garment=Garment.objects.get(pk=garment.pk),
            model_photo=ModelPhoto.objects.get(pk=model.pk),
        )
        times.append(time.perf_counter() - started)
        assert answered_now
        assert tryon.status == "succeeded"
    return times


def repeated_through_api(body: dict[str, Any], result_url: str, repeat: int) -> list[float]:
    from django.test import Client

    times = []
    for _ in range(repeat):
        shopper = Client()  # a new shopper each time: a new session
        started = time.perf_counter()
        response = shopper.post(CREATE_URL, body, content_type="application/json")
        times.append(time.perf_counter() - started)
        assert response.status_code == 201, response.content
        assert response.json()["result_url"] == result_url
    return times


def describe(label: str, times: list[float]) -> str:
    return f"{label}: p50 {ms(median(times))}, p95 {ms(percentile(times, 0.95))} (n={len(times)})"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with FakeProvider(args.latency) as fake:
        setup_django(fake.base_url)
        garment, model = catalogue()
        body = {"garment": garment.pk, "model_photo": str(model.pk)}
        warm_up()
        with Worker() as worker:
            first, result_url = first_request(body)
        assert not worker.errors, worker.errors
        services_times = repeated_through_services(garment, model, args.repeat)
        api_times = repeated_through_api(body, result_url, args.repeat)
        calls = fake.stop()

    from tryon.models import TryOn

    print(f"fake provider latency L: {args.latency:g} s")
    print(
        f"first request (paid; POST 202, worker, poll every {POLL_EVERY * 1000:.0f} ms): "
        f"{ms(first)}"
    )
    print(describe("repeated, services.request_tryon", services_times))
    print(describe("repeated, POST api/tryons/ (201, new shopper each)", api_times))
    print(f"try-ons: {TryOn.objects.count()}, succeeded: {TryOn.objects.succeeded().count()}")
    print(f"provider calls: {calls}")
    if calls != 1:
        print("FAIL: repeated requests reached the provider", file=sys.stderr)
        return 1
    print(f"ratio (services): {median(services_times) / first:.4f}")
    print(f"ratio: {median(api_times) / first:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
