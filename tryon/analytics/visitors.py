"""Who an event is about, without naming them: a keyed hash of the browser session.

The hash is taken of the session key the first time the widget is rendered for the
session and kept in the session, so it survives signing in (Django gives the session a
new key then and keeps its data). The key itself is never stored with events, and the
hash is keyed with ``SECRET_KEY``, so the table cannot be joined back to sessions
without the secret.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils.dateparse import parse_datetime

from ..conf import tryon_settings

SESSION_KEY = "_tryon_visitor"
JOINED_KEY = "_tryon_joined"  # {"at": ISO time, "arm": arm} of the session's first render
_REQUEST_CACHE = "_tryon_visitor"
_SALT = b"tryon.analytics.visitor:"


def analytics_enabled() -> bool:
    return bool(tryon_settings.ANALYTICS)


def visitor_hash(session_key: str) -> int:
    """The stored form of a session key: HMAC-SHA256 keyed with ``SECRET_KEY``, its first
    64 bits as a signed integer (compact to store and to count); never 0."""
    key = str(settings.SECRET_KEY).encode()
    digest = hmac.new(key, _SALT + session_key.encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big", signed=True) or 1


def _valid(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value != 0


def visitor_for(request: Any, *, create: bool = False) -> int:
    """The request's visitor hash; 0 when it has no session (and ``create`` is False).

    ``create`` starts a session when there is none (Django then sends its cookie) and
    remembers the hash in it.
    """
    if request is None:
        return 0
    cached: Any = getattr(request, _REQUEST_CACHE, None)
    if _valid(cached):
        return int(cached)
    session = getattr(request, "session", None)
    if session is None:
        return 0
    stored = session.get(SESSION_KEY)
    if _valid(stored):
        visitor = int(stored)
    else:
        if not session.session_key:
            if not create:
                return 0
            session.save()  # gives it a key; SessionMiddleware sends the cookie
        visitor = visitor_hash(session.session_key)
        if not create:
            return visitor  # not remembered: this request does not start tracking
        session[SESSION_KEY] = visitor
    setattr(request, _REQUEST_CACHE, visitor)
    return visitor


def remember_joined(request: Any, arm: str, moment: datetime) -> bool:
    """Note the session's first widget render; True if this was it."""
    session = getattr(request, "session", None)
    if session is None or session.get(JOINED_KEY):
        return False
    session[JOINED_KEY] = {"at": moment.isoformat(), "arm": arm}
    return True


def joined(request: Any) -> tuple[str, datetime | None]:
    """(arm, time) the session joined the experiment at; ("", None) if it has not."""
    session = getattr(request, "session", None)
    value = session.get(JOINED_KEY) if session is not None else None
    if not isinstance(value, dict):
        return ("", None)
    try:
        moment = parse_datetime(str(value.get("at", "")))
    except ValueError:
        moment = None
    return (str(value.get("arm", "")), moment) if moment else ("", None)
