"""The randomised holdout: a stable share of sessions that never sees the widget.

``TRYON["HOLDOUT_PERCENT"]`` (0-100, default 0) of sessions are in the holdout arm. The
arm follows from the session's visitor hash (``visitors.py``): random across sessions,
the same for one session on every page and after signing in, and with no table of
assignments. Raising the percentage moves sessions only from exposed to holdout.

``{% tryon_widget %}`` calls ``record_widget_render`` for every widget it would draw: it
records the arm for both arms in the same way (one INSERT) and tells the tag whether to
draw the widget. The holdout's sessions are therefore counted exactly like the exposed
ones, which is what makes the comparison of their conversions fair.
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone

from ..conf import tryon_settings
from .models import Arm, EventKind
from .store import insert
from .visitors import analytics_enabled, remember_joined, visitor_for

logger = logging.getLogger("tryon.analytics")

_BUCKETS = 10_000  # resolution of HOLDOUT_PERCENT: 0.01 %


def holdout_percent() -> float:
    try:
        percent = float(tryon_settings.HOLDOUT_PERCENT or 0)
    except (TypeError, ValueError):
        logger.error("TRYON['HOLDOUT_PERCENT'] must be a number from 0 to 100; using 0.")
        return 0.0
    return min(100.0, max(0.0, percent))


def arm_for(visitor: int, percent: float | None = None) -> str:
    """The arm of a visitor hash: holdout for a ``percent`` share of all hashes."""
    percent = holdout_percent() if percent is None else percent
    if not visitor or percent <= 0:
        return Arm.EXPOSED
    bucket = (visitor % 2**32) % _BUCKETS  # the hash's low 32 bits, uniform
    return Arm.HOLDOUT if bucket < percent * _BUCKETS / 100 else Arm.EXPOSED


def in_holdout(request: Any) -> bool:
    """Whether this request's session is in the holdout (never sees the widget).

    For the shop's own templates, e.g. to hide a "Try it on" heading. Starts a session
    when there is none and a holdout is configured. False when analytics are off.
    """
    if not analytics_enabled() or holdout_percent() <= 0:
        return False
    try:
        return arm_for(visitor_for(request, create=True)) == Arm.HOLDOUT
    except Exception:  # a broken session store must not break the page
        logger.exception("tryon analytics: could not tell the holdout arm")
        return False


def record_widget_render(request: Any, garment: Any) -> bool:
    """Record that the widget for ``garment`` is rendered; True: draw it, False: don't.

    Contract for ``{% tryon_widget %}``: call it once per widget, after deciding there
    is one to draw (an active garment, the URLs included), and render nothing when it
    returns False (the session is in the holdout). It starts a session when there is
    none, writes one row (the arm, the garment, the visitor hash), never raises and
    answers True whenever it cannot tell (analytics off, no request, an error).

    The session's first render is marked ``assigned``: the moment it joined the
    experiment. The holdout comparison counts sessions by it.
    """
    if not analytics_enabled():
        return True
    try:
        visitor = visitor_for(request, create=True)
        arm = arm_for(visitor)
        now = timezone.now()
        insert(
            EventKind.WIDGET_RENDERED,
            visitor=visitor,
            arm=arm,
            # Once per session (it remembers, signing in included): when it joined.
            assigned=bool(visitor) and remember_joined(request, arm, now),
            garment_pk=getattr(garment, "pk", None),
            now=now,
        )
        return arm != Arm.HOLDOUT
    except Exception:
        logger.exception("tryon analytics: could not record a widget render")
        return True
