"""``POST analytics/beacon/``: what only the browser sees, sent by ``navigator.sendBeacon``.

Body (JSON, at most ``MAX_BODY`` bytes, any content type: ``sendBeacon`` with a string
sends ``text/plain``)::

    {"event": "dialog_opened", "tryon": "<uuid>"?, "garment": 12?, "wait_ms": 5300?}

Answers 204 when recorded (or when analytics are off: nothing is recorded then), 400 for
an unknown event, an unknown field, a malformed or oversized body, 404 for a try-on
that is not the caller's (or does not exist) or an unknown garment, 403 for a
cross-site post, 429 past ``TRYON["ANALYTICS_BEACON_RATE"]``. Nothing is recorded unless
the answer is 204.

CSRF: ``sendBeacon`` cannot set headers, so Django's token check cannot apply. The view
instead requires the browser to say the post is same-origin: ``Sec-Fetch-Site:
same-origin`` (every current browser sends it), or, from a browser that does not send
that, an ``Origin`` equal to this site's. A post with neither is refused. A front end on
another origin that the shop trusts for CSRF (``CSRF_TRUSTED_ORIGINS``, where a
``<tryon-widget>`` page with the session cookie lives) may post too: its ``Origin`` must
be one of them. A beacon can only add a counted event, never read or change anything.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ..conf import tryon_settings
from ..models import Garment, TryOn
from .models import BEACON_KINDS
from .store import insert
from .visitors import analytics_enabled, visitor_for

logger = logging.getLogger("tryon.analytics")

MAX_BODY = 1024  # bytes; a real beacon is under 150
MAX_WAIT_MS = 24 * 60 * 60 * 1000
_FIELDS = {"event", "tryon", "garment", "wait_ms"}
# The API remembers the try-ons a session made under this session key
# (tryon.api.ownership), so a shopper's own deleted try-on is still theirs to report.
_REMEMBERED_TRYONS = "tryon_ids"
_PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


class BeaconError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@csrf_exempt  # same-origin is checked from Sec-Fetch-Site / Origin instead (see above)
@require_POST
def beacon(request: HttpRequest) -> HttpResponse:
    try:
        _check_same_origin(request)
        if not analytics_enabled():
            return HttpResponse(status=204)
        _throttle(request)
        fields = _event_fields(request, _read_json(request))
    except BeaconError as error:
        return JsonResponse({"detail": error.message}, status=error.status)
    insert(fields.pop("kind"), **fields)
    return HttpResponse(status=204)


def _check_same_origin(request: HttpRequest) -> None:
    site = request.headers.get("Sec-Fetch-Site")
    origin = request.headers.get("Origin")
    if site == "same-origin" or (origin and trusted_origin(origin)):
        return
    if site is not None:
        raise BeaconError(403, "Cross-site beacon refused.")
    if not origin:
        raise BeaconError(403, "A beacon must come from this site's pages.")
    parts = urlsplit(origin)
    if parts.scheme != request.scheme or parts.netloc != request.get_host():
        raise BeaconError(403, "Cross-site beacon refused.")


def trusted_origin(origin: str) -> bool:
    """Whether ``origin`` is in ``CSRF_TRUSTED_ORIGINS`` (``https://*.shop.example`` too)."""
    parts = urlsplit(origin)
    if not parts.scheme or not parts.netloc:
        return False
    for trusted in getattr(settings, "CSRF_TRUSTED_ORIGINS", []):
        allowed = urlsplit(str(trusted))
        if allowed.scheme != parts.scheme:
            continue
        if allowed.netloc == parts.netloc:
            return True
        if allowed.netloc.startswith("*.") and parts.netloc.endswith(allowed.netloc[1:]):
            return True
    return False


def _rate() -> tuple[int, int] | None:
    rate = tryon_settings.ANALYTICS_BEACON_RATE
    if not rate:
        return None
    count, _, period = str(rate).partition("/")
    return int(count), _PERIODS[period.strip().lower()]


def _throttle(request: HttpRequest) -> None:
    rate = _rate()
    if rate is None:
        return
    limit, seconds = rate
    visitor = visitor_for(request)
    ident = f"v:{visitor}" if visitor else f"a:{request.META.get('REMOTE_ADDR', '')}"
    key = f"tryon:beacon:{ident}"
    # A fixed window: add() starts it, incr() counts within it (atomic in shared caches).
    if cache.add(key, 1, timeout=seconds):
        return
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=seconds)
        return
    if count > limit:
        raise BeaconError(429, "Too many beacons.")


def _read_json(request: HttpRequest) -> dict[str, Any]:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise BeaconError(400, "Bad Content-Length.") from None
    if declared > MAX_BODY:
        raise BeaconError(400, f"A beacon body is at most {MAX_BODY} bytes.")
    body = request.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        raise BeaconError(400, f"A beacon body is at most {MAX_BODY} bytes.")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BeaconError(400, "The body is not JSON.") from None
    if not isinstance(data, dict):
        raise BeaconError(400, "The body must be a JSON object.")
    unknown = set(data) - _FIELDS
    if unknown:
        raise BeaconError(400, f"Unknown fields: {', '.join(sorted(map(str, unknown)))[:200]}")
    return data


def _event_fields(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    kind = data.get("event")
    if not isinstance(kind, str) or kind not in BEACON_KINDS:
        raise BeaconError(400, "Unknown event.")
    wait_ms = data.get("wait_ms")
    if wait_ms is not None and (
        not isinstance(wait_ms, int) or isinstance(wait_ms, bool) or not 0 <= wait_ms <= MAX_WAIT_MS
    ):
        raise BeaconError(400, "wait_ms must be a whole number of milliseconds.")
    garment_pk = _garment(data.get("garment"))
    tryon_id, tryon_garment, source = _own_tryon(request, data.get("tryon"))
    if garment_pk is not None and tryon_garment is not None and garment_pk != tryon_garment:
        raise BeaconError(400, "The garment is not the try-on's.")
    return {
        "kind": kind,
        "visitor": visitor_for(request),
        "garment_pk": garment_pk if garment_pk is not None else tryon_garment,
        "tryon_id": tryon_id,
        "source": source,
        "wait_ms": wait_ms,
    }


def _garment(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**63:
        raise BeaconError(400, "garment must be a garment id.")
    if not Garment.objects.filter(pk=value).exists():
        raise BeaconError(404, "No such garment.")
    return value


def _own_tryon(request: HttpRequest, value: Any) -> tuple[uuid.UUID | None, int | None, str]:
    """(id, garment pk, source) of the caller's try-on ``value``; 404 if not theirs."""
    if value is None:
        return (None, None, "")
    try:
        tryon_id = uuid.UUID(str(value)) if isinstance(value, str) else None
    except ValueError:
        tryon_id = None
    if tryon_id is None:
        raise BeaconError(400, "tryon must be a try-on id.")
    mine = Q(pk__in=[])
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        mine |= Q(owner=user)
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        mine |= Q(owner__isnull=True, session_key=session.session_key)
    row = TryOn.objects.filter(mine, pk=tryon_id).values_list("pk", "garment_id", "source").first()
    if row is not None:
        return (row[0], row[1], row[2])
    remembered = session.get(_REMEMBERED_TRYONS, []) if session is not None else []
    if isinstance(remembered, list) and str(tryon_id) in remembered:
        return (tryon_id, None, "")  # theirs, deleted since
    raise BeaconError(404, "No such try-on.")
