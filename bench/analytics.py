#!/usr/bin/env python
"""What analytics cost: recording on a shopper's requests, and the dashboard over 1M events.

1. Overhead (SQLite, this process). A product page (a template with
   ``{% tryon_widget garment %}``, as the example shop's) and a try-on POST
   (``POST /tryon/api/tryons/`` with a preset model, answered 202), each by a returning
   shopper (the session exists, as it does from the second page on), with
   ``TRYON["ANALYTICS"]`` True against False: median time per request of each, over
   ``--rounds`` interleaved rounds of ``--requests`` requests. What recording adds is one
   INSERT (the widget render with the session's arm; the try-on request). Until the
   template tag and the API call the analytics hooks themselves (they do after the
   merge), this script's views call them where they will be called. Target: ratio <= 1.05.

2. Dashboard. ``--events`` (1,000,000) events over 30 days (renders, beacons, try-ons,
   conversions of 200,000 sessions with a 10 % holdout, 50 garments), plus 30 days of
   paid-call counts and 2,000 finished try-ons, loaded into SQLite (a file, WAL) and into
   PostgreSQL (127.0.0.1:5432, user postgres, a database ``tryon_bench_analytics``
   created and dropped by the script). Times ``summary()`` for the 30 days and the admin
   page (``GET /admin/tryon/analyticsdashboard/`` as a superuser): the first request,
   then the median of ``--repeat`` more. Target: under 1 s. Events are inserted in time
   order, as they are recorded. Before timing, the closed days are summed once
   (``roll_up_closed_days()``, what ``tryon_cleanup`` does; without it the first view does
   it): that time is printed too. PostgreSQL's tables are ANALYZEd after the load and
   after the summing (as autovacuum does for tables that grew that much); SQLite's are not.

    python bench/analytics.py [--part overhead|dashboard|all] [--database sqlite|postgres]
                              [--events 1000000] [--rounds 15] [--requests 20]

Prints the figures, then last ``ratio: X`` (the larger of the two overhead ratios).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
import uuid
from datetime import UTC, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import median, ms, setup_django

PG_NAME = "tryon_bench_analytics"
PG = {"HOST": "127.0.0.1", "PORT": "5432", "USER": "postgres", "PASSWORD": ""}
PRODUCT_URL = "/bench-product/"
CREATE_URL = "/bench-tryons/"
DAYS = 30


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=["overhead", "dashboard", "all"], default="all")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    return parser.parse_args(argv)


# -- the views a shop has, with the hooks where the merge puts them ----------------------------


def _hooked(module: str, name: str) -> bool:
    """Whether the app already calls this analytics hook (after the merge it does)."""
    from importlib import import_module
    from inspect import getsource

    return name in getsource(import_module(module))


# The example shop's product page, standalone: layout, the product, add to cart, try-on.
PRODUCT_TEMPLATE = """{% load tryon %}<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{{ garment.name }} · Shop</title><link rel="stylesheet" href="/static/shop.css"></head>
<body><header><a href="/">Shop</a><nav><a href="/">Products</a> <a href="/cart/">Cart</a></nav>
</header><main><p><a href="/">← All products</a></p><article><h1>{{ garment.name }}</h1>
<p class="price">€19.00</p>
<p>{{ garment.description|default:"A soft cotton crew-neck T-shirt."|linebreaksbr }}</p>
<form method="post" action="/cart/add/">{% csrf_token %}<button>Add to cart</button></form>
</article><section><h2>Try it on</h2>{% tryon_widget garment %}<h2>On our models</h2>
{% tryon_previews garment %}</section></main><footer>Example shop</footer></body></html>"""


def product_page(request: Any) -> Any:
    from django.http import HttpResponse
    from django.template import RequestContext, Template

    from tryon.analytics import record_widget_render
    from tryon.models import Garment

    garment = Garment.objects.get(name="Red tee")
    if not TAG_HOOKED:
        record_widget_render(request, garment)  # what {% tryon_widget %} does after the merge
    template = Template(PRODUCT_TEMPLATE)
    return HttpResponse(template.render(RequestContext(request, {"garment": garment})))


def create_tryon(request: Any) -> Any:
    from types import SimpleNamespace

    from tryon.analytics import record_tryon_requested
    from tryon.api.views import TryOnCreateView

    response = TryOnCreateView.as_view()(request)
    if not API_HOOKED and response.status_code in (201, 202):
        # The view has the row in hand after the merge; here, what the hook reads of it.
        data = response.data
        tryon = SimpleNamespace(pk=data["id"], garment_id=GARMENT_PK[0], source="shopper")
        record_tryon_requested(request, tryon, response.status_code == 201)
    return response


GARMENT_PK: list[int] = [0]
TAG_HOOKED = API_HOOKED = False
urlpatterns: list[Any] = []


def _urls() -> None:
    from django.contrib import admin
    from django.urls import include, path

    import tryon.analytics.admin  # noqa: F401  (tryon.admin imports it after the merge)
    from tryon import urls as tryon_urls
    from tryon.analytics import urls as analytics_urls

    global TAG_HOOKED, API_HOOKED
    TAG_HOOKED = _hooked("tryon.templatetags.tryon", "record_widget_render")
    API_HOOKED = _hooked("tryon.api.views", "record_tryon_requested")
    patterns = list(tryon_urls.urlpatterns)
    if not any(getattr(p, "name", None) == "analytics-beacon" for p in patterns):
        patterns += analytics_urls.urlpatterns
    urlpatterns[:] = [
        path("admin/", admin.site.urls),
        path("tryon/", include((patterns, "tryon"))),
        path(PRODUCT_URL.strip("/") + "/", product_page),
        path(CREATE_URL.strip("/") + "/", create_tryon),
    ]


# -- 1. overhead --------------------------------------------------------------------------


def overhead(args: argparse.Namespace) -> float:
    from django.core.files.base import ContentFile
    from django.test import Client, override_settings

    from tests import images
    from tryon.analytics.models import TryOnEvent
    from tryon.models import Garment, ModelPhoto

    garment = Garment(name="Red tee", category="upper_body")
    garment.image.save("tee.jpg", ContentFile(images.garment_photo()), save=False)
    garment.save()
    GARMENT_PK[0] = garment.pk
    preset = ModelPhoto(name="Ava", is_preset=True)
    preset.image.save("ava.jpg", ContentFile(images.person_photo()), save=False)
    preset.save()
    base = dict(__import__("django.conf").conf.settings.TRYON)
    modes = {True: {**base, "ANALYTICS": True}, False: {**base, "ANALYTICS": False}}
    shopper = Client()
    with override_settings(TRYON=modes[True]):
        assert shopper.get(PRODUCT_URL).status_code == 200  # the session starts here

    def page() -> None:
        response = shopper.get(PRODUCT_URL)
        assert response.status_code == 200
        assert b"data-tryon-widget" in response.content

    def post() -> None:
        body = {"garment": garment.pk, "model_photo": str(preset.pk)}
        response = shopper.post(CREATE_URL, body, content_type="application/json")
        assert response.status_code == 202, response.content

    print(f"hooks already in the app: tag {TAG_HOOKED}, API {API_HOOKED} (else called here)")
    worst = 0.0
    for label, action in (("product page", page), ("try-on POST", post)):
        times: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(3):  # warm up both
            for mode in (True, False):
                with override_settings(TRYON=modes[mode]):
                    action()
        events_before = TryOnEvent.objects.count()
        # Alternate single requests (ABBA...), so both modes see the same machine load.
        for number in range(args.rounds * args.requests):
            for mode in (True, False) if number % 2 else (False, True):
                with override_settings(TRYON=modes[mode]):
                    started = time.perf_counter()
                    action()
                    times[mode].append(time.perf_counter() - started)
        recorded = TryOnEvent.objects.count() - events_before
        on, off = median(times[True]), median(times[False])
        ratio = on / off
        worst = max(worst, ratio)
        print(
            f"{label}: ANALYTICS on {ms(on)}, off {ms(off)} (median of "
            f"{len(times[True])} each); {(on - off) * 1e6:+.0f} us; events written {recorded}; "
            f"ratio {ratio:.3f}"
        )
    call = _recording_call(garment)
    print(f"one record_widget_render() call alone: {call * 1e6:.0f} us (median of 500)")
    return worst


def _recording_call(garment: Any) -> float:
    """The recording alone, without a request around it: the figure noise hides least."""
    from importlib import import_module

    from django.conf import settings
    from django.test import RequestFactory

    from tryon.analytics import record_widget_render

    request = RequestFactory().get("/")
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    record_widget_render(request, garment)  # starts the session once, as a first page does
    times = []
    for _ in range(500):
        started = time.perf_counter()
        record_widget_render(request, garment)
        times.append(time.perf_counter() - started)
    return median(times)


# -- 2. the dashboard over many events ------------------------------------------------------


def _session_events(rng: random.Random, visitor: int, arm: str, start: float) -> list[tuple]:
    """One shopper's events: (seconds, kind, visitor, arm, assigned, garment slot, wait,
    joined): joined, the time of its first render, is on its try-on requests and
    conversions (the session remembers it and records it with them).

    Visits cluster in time (a few minutes of browsing; one in five comes back a few days
    later), as real sessions do; the exposed arm sees and uses the widget.
    """
    events: list[tuple] = []
    visits = [start] + ([start + rng.uniform(1, 6) * 86400] if rng.random() < 0.2 else [])
    exposed = arm == "exposed"
    joined = None
    for visit in visits:
        moment = visit
        for _ in range(1 + min(12, int(rng.expovariate(1 / 2.2)))):
            moment += rng.uniform(20, 240)
            garment = rng.randrange(50)
            first = joined is None
            joined = moment if first else joined
            events.append((moment, "widget_rendered", visitor, arm, first, garment, None, None))
            if not exposed:
                continue
            if rng.random() < 0.55:
                events.append((moment + 2, "widget_shown", visitor, "", False, garment, None, None))
            if rng.random() < 0.12:
                events.append(
                    (moment + 9, "dialog_opened", visitor, "", False, garment, None, None)
                )
                if rng.random() < 0.6:
                    wait = rng.randrange(4000, 30000)
                    for offset, kind in (
                        (14, "tryon_submitted"),
                        (14, "tryon_requested"),
                        (14 + wait / 1000, "job_succeeded"),
                        (15 + wait / 1000, "tryon_succeeded"),
                        (20 + wait / 1000, "result_viewed"),
                    ):
                        requested = kind == "tryon_requested"
                        events.append(
                            (
                                moment + offset,
                                kind,
                                visitor,
                                arm if requested else "",
                                False,
                                garment,
                                wait,
                                joined if requested else None,
                            )
                        )
        if rng.random() < (0.09 if exposed else 0.08):
            events.append((moment + 30, "add_to_cart", visitor, arm, False, garment, None, joined))
            if rng.random() < 0.4:
                events.append((moment + 300, "order", visitor, arm, False, garment, None, joined))
    return events


def _rows(count: int, now: Any) -> list[tuple]:
    from tryon.analytics.holdout import arm_for
    from tryon.analytics.visitors import visitor_hash

    rng = random.Random(10)
    span = DAYS * 86400 - 3600
    generated: list[tuple] = []
    number = 0
    while len(generated) < count:
        visitor = visitor_hash(f"session-{number}")
        number += 1
        start = now.timestamp() - span + rng.random() * span
        events = _session_events(rng, visitor, arm_for(visitor, 10), start)
        generated.extend(row for row in events if row[0] < now.timestamp())
    del generated[count:]
    generated.sort(key=lambda row: row[0])  # inserted as they happen: in time order
    return generated


def load_events(count: int) -> float:
    """Insert ``count`` events (and ledger rows) as fast as the database takes them."""
    from datetime import datetime

    from django.db import connection, transaction
    from django.utils import timezone

    from tryon.analytics.models import TryOnEvent
    from tryon.analytics.store import local_day
    from tryon.models import DailyUsage, Garment, ModelPhoto, TryOn

    started = time.perf_counter()
    rng = random.Random(11)
    garments = Garment.objects.bulk_create(
        Garment(name=f"Garment {n}", image=f"g{n}.jpg") for n in range(50)
    )
    garment_pks = [g.pk for g in garments]
    photo = ModelPhoto.objects.create(name="Ava", image="ava.jpg")
    now = timezone.now()
    ops = connection.ops
    fields = [
        "created_at",
        "day",
        "kind",
        "visitor",
        "arm",
        "assigned",
        "joined_at",
        "garment_pk",
        "tryon_id",
        "source",
        "product",
        "value",
        "wait_ms",
        "calls",
        "code",
        "reused",
    ]
    value_field = TryOnEvent._meta.get_field("value")
    uuid_field = TryOnEvent._meta.get_field("tryon_id")
    rows = []
    for seconds, kind, visitor, arm, assigned, slot, wait, joined in _rows(count, now):
        moment = datetime.fromtimestamp(seconds, tz=UTC)
        joined_at = datetime.fromtimestamp(joined, tz=UTC) if joined else None
        job = kind == "job_succeeded"
        value = Decimal(rng.randrange(1000, 12000)) / 100 if kind == "order" else None
        rows.append(
            (
                ops.adapt_datetimefield_value(moment),
                local_day(moment),
                kind,
                0 if job else visitor,
                arm,
                assigned,
                ops.adapt_datetimefield_value(joined_at) if joined_at else None,
                garment_pks[slot],
                uuid_field.get_db_prep_value(uuid.uuid4(), connection) if job else None,
                "shopper" if job else "",
                "",
                value_field.get_db_prep_save(value, connection),
                wait if kind == "tryon_succeeded" else None,
                1 if job else None,
                None,
                False,
            )
        )
    table = TryOnEvent._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({', '.join(fields)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({', '.join(fields)}) VALUES ({marks})", rows)
    finished = [now - timedelta(seconds=rng.random() * 86400 * DAYS) for _ in range(2000)]
    TryOn.objects.bulk_create(
        TryOn(
            garment_id=rng.choice(garment_pks),
            model_photo=photo,
            status="succeeded",
            provider_calls=1,
            finished_at=moment,
        )
        for moment in finished  # finished before analytics were on: no events
    )
    # The daily counter: every call above, and a few more (retries of rows deleted since).
    calls: dict[Any, int] = {}
    for day in [row[1] for row in rows if row[2] == "job_succeeded"] + [
        local_day(moment) for moment in finished
    ]:
        calls[day] = calls.get(day, 0) + 1
    DailyUsage.objects.bulk_create(
        DailyUsage(day=day, paid_calls=count + count // 50) for day, count in calls.items()
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")
    return time.perf_counter() - started


def dashboard(args: argparse.Namespace) -> None:
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from tryon.analytics import roll_up_closed_days, summary
    from tryon.analytics.models import TryOnEvent

    loaded = load_events(args.events)
    started = time.perf_counter()
    summed = roll_up_closed_days()  # what tryon_cleanup does each night (else the first view)
    rolled = time.perf_counter() - started
    if connection.vendor == "postgresql":  # as autovacuum does once tables have grown
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE tryon_tryoneventday; ANALYZE tryon_tryonvisitday")
    total = TryOnEvent.objects.count()
    end = timezone.localdate()
    start = end - timedelta(days=DAYS - 1)
    admin_user = User.objects.create_superuser("bench", password="x")
    client = Client()
    client.force_login(admin_user)

    def timed(action: Any) -> float:
        started = time.perf_counter()
        action()
        return time.perf_counter() - started

    def page() -> None:
        response = client.get("/admin/tryon/analyticsdashboard/")
        assert response.status_code == 200
        assert b"Credit ledger" in response.content

    first_summary = timed(lambda: summary(start, end))
    first_page = timed(page)
    summaries = [timed(lambda: summary(start, end)) for _ in range(args.repeat)]
    pages = [timed(page) for _ in range(args.repeat)]
    figures = summary(start, end)
    print(
        f"dashboard on {connection.vendor}: daily totals of {summed} closed days summed once in "
        f"{rolled:.1f} s (tryon_cleanup, or the first view that needs them)"
    )
    print(
        f"dashboard on {connection.vendor}: {total:,} events loaded in {loaded:.0f} s; "
        f"{figures['arms']['exposed']['sessions']:,} exposed and "
        f"{figures['arms']['holdout']['sessions']:,} holdout sessions"
    )
    print(
        f"dashboard on {connection.vendor}: summary() first {ms(first_summary)}, then median "
        f"{ms(median(summaries))}; admin page first {ms(first_page)}, then median "
        f"{ms(median(pages))} (target < 1000 ms)"
    )


def _postgres(action: str) -> None:
    import psycopg

    with psycopg.connect(
        host=PG["HOST"], port=PG["PORT"], user=PG["USER"], dbname="postgres", autocommit=True
    ) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {PG_NAME}")
        if action == "create":
            admin.execute(f"CREATE DATABASE {PG_NAME}")


def run_dashboard(args: argparse.Namespace) -> None:
    if args.database == "postgres":
        import bench.settings as bench_settings

        bench_settings.DATABASES = {
            "default": {"ENGINE": "django.db.backends.postgresql", "NAME": PG_NAME, **PG}
        }
        _postgres("create")
        try:
            setup_django()
            _urls()
            _root_urlconf()
            dashboard(args)
        finally:
            from django.db import connections

            connections.close_all()
            _postgres("drop")
        return
    setup_django()
    _urls()
    _root_urlconf()
    dashboard(args)


def _root_urlconf() -> None:
    from django.conf import settings

    settings.ROOT_URLCONF = __name__ if __name__ != "__main__" else "bench.analytics"
    sys.modules.setdefault("bench.analytics", sys.modules[__name__])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print("The machine is shared: expect noise of a few per cent between runs.")
    ratio = None
    if args.part in ("dashboard", "all"):
        databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
        if args.part == "all" or len(databases) > 1:
            for database in databases:  # each in a fresh process: settings are per process
                command = [
                    sys.executable,
                    __file__,
                    "--part",
                    "dashboard",
                    "--database",
                    database,
                    "--events",
                    str(args.events),
                    "--repeat",
                    str(args.repeat),
                ]
                subprocess.run(command, check=True, env={**os.environ})
        else:
            run_dashboard(args)
    if args.part in ("overhead", "all"):
        setup_django()
        _urls()
        _root_urlconf()
        ratio = overhead(args)
    if ratio is not None:
        print(f"ratio: {ratio:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
