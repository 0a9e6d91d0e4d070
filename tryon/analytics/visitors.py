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
from typing import Any

from django.conf import settings

from ..conf import tryon_settings

SESSION_KEY = "_tryon_visitor"
_REQUEST_CACHE = "_tryon_visitor"
_SALT = b"tryon.analytics.visitor:"
VISITOR_LENGTH = 32  # hex digits: 128 bits


def analytics_enabled() -> bool:
    return bool(tryon_settings.ANALYTICS)


def visitor_hash(session_key: str) -> str:
    """The stored form of a session key: HMAC-SHA256 keyed with ``SECRET_KEY``."""
    key = str(settings.SECRET_KEY).encode()
    digest = hmac.new(key, _SALT + session_key.encode(), hashlib.sha256).hexdigest()
    return digest[:VISITOR_LENGTH]


def visitor_for(request: Any, *, create: bool = False) -> str:
    """The request's visitor hash; "" when it has no session (and ``create`` is False).

    ``create`` starts a session when there is none (Django then sends its cookie) and
    remembers the hash in it.
    """
    if request is None:
        return ""
    cached = getattr(request, _REQUEST_CACHE, None)
    if cached:
        return str(cached)
    session = getattr(request, "session", None)
    if session is None:
        return ""
    stored = session.get(SESSION_KEY)
    if isinstance(stored, str) and len(stored) == VISITOR_LENGTH:
        visitor = stored
    else:
        if not session.session_key:
            if not create:
                return ""
            session.save()  # gives it a key; SessionMiddleware sends the cookie
        visitor = visitor_hash(session.session_key)
        if not create:
            return visitor  # not remembered: this request does not start tracking
        session[SESSION_KEY] = visitor
    setattr(request, _REQUEST_CACHE, visitor)
    return visitor
