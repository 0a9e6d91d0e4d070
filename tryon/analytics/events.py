"""Recording events: one INSERT each, and never an exception for the page that records.

The server records what it sees: the widget rendered (with the session's holdout arm,
``holdout.record_widget_render``), a try-on requested, generated or failed (with its
paid calls, for the ledger), deleted, and the shop's conversions
(``conversions.record_conversion``). The widget's beacon (``beacon.py``) records what
only the browser sees. With ``TRYON["ANALYTICS"] = False`` nothing is recorded.

Hooks the rest of the app calls (each one line, each safe to call anywhere):
``record_tryon_requested(request, tryon, answered_now)`` after the API creates a try-on,
``record_tryon_deleted(request, tryon)`` when the API deletes one, and
``record_tryon_finished(tryon)`` when a row ends ``succeeded`` or ``failed`` (connect
``on_tryon_finished`` to ``tryon.signals.tryon_finished``).
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from .models import EventKind
from .store import insert
from .visitors import analytics_enabled, joined, visitor_for

logger = logging.getLogger("tryon.analytics")


def record_event(
    kind: str,
    request: Any = None,
    tryon: Any = None,
    *,
    garment: Any = None,
    wait_ms: int | None = None,
    value: Decimal | None = None,
    calls: int | None = None,
    code: int | None = None,
    reused: bool = False,
    arm: str = "",
    joined_at: Any = None,
) -> bool:
    """Record one event of ``kind`` (an ``EventKind``); True if it was written.

    ``request`` gives the session (never starts one here), ``tryon`` the try-on and its
    garment and source, ``garment`` a Garment or its pk when there is no try-on.
    """
    if not analytics_enabled():
        return False
    try:
        garment_pk = _pk(garment)
        if tryon is not None and garment_pk is None:
            garment_pk = getattr(tryon, "garment_id", None)
        return insert(
            str(kind),
            visitor=visitor_for(request),
            arm=arm,
            garment_pk=garment_pk,
            tryon_id=getattr(tryon, "pk", None),
            source=str(getattr(tryon, "source", "") or "")[:12],
            wait_ms=wait_ms,
            value=value,
            calls=calls,
            code=code,
            reused=reused,
            joined_at=joined_at,
        )
    except Exception:  # recording must never break the page or the job that records
        logger.exception("tryon analytics: could not record a %s event", kind)
        return False


def _pk(obj: Any) -> int | None:
    if obj is None:
        return None
    pk = getattr(obj, "pk", obj)
    return int(pk) if pk is not None else None


def record_tryon_requested(request: Any, tryon: Any, answered_now: bool = False) -> bool:
    """The API accepted a try-on (``answered_now``: from an earlier result, no call).

    Carries the session's arm and when it joined: the naive comparison's "used try-on"."""
    arm, joined_at = joined(request)
    return record_event(
        EventKind.TRYON_REQUESTED,
        request,
        tryon,
        reused=answered_now,
        arm=arm,
        joined_at=joined_at,
    )


def record_tryon_finished(tryon: Any, *, request: Any = None) -> bool:
    """A try-on reached ``succeeded`` or ``failed``: its paid calls, reuse and error code.

    Kept for the ledger after the try-on row itself is deleted (shopper results expire).
    Also checks the daily budget alert, which is sent whether or not analytics is on.
    """
    recorded = False
    if analytics_enabled():
        succeeded = str(getattr(tryon, "status", "")) == "succeeded"
        recorded = record_event(
            EventKind.JOB_SUCCEEDED if succeeded else EventKind.JOB_FAILED,
            request,
            tryon,
            calls=int(getattr(tryon, "provider_calls", 0) or 0),
            code=getattr(tryon, "error_code", None),
            reused=bool(getattr(tryon, "reused_from_id", None)),
        )
    from .alerts import check_budget_alert

    check_budget_alert()
    return recorded


def on_tryon_finished(sender: Any, tryon: Any, **kwargs: Any) -> None:
    """``tryon.signals.tryon_finished`` receiver: every path that ends a row sends it,
    answers from an earlier result included."""
    record_tryon_finished(tryon)


def record_tryon_deleted(request: Any, tryon: Any) -> bool:
    """A shopper (or staff, through the API) deleted a try-on."""
    return record_event(EventKind.TRYON_REMOVED, request, tryon)
