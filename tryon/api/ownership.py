"""Who a request is, and which try-ons it may see.

A try-on belongs to a signed-in user, or else to the browser session that asked for it
(a session is created on the first request that needs one). Staff see everything;
anyone else gets a 404 for a try-on that is not theirs, so ids reveal nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.utils import timezone

from ..conf import tryon_settings
from ..models import ModelPhoto, TryOn

_SESSION_IDS = "tryon_ids"
# The session remembers the newest try-ons it made, so signing in (which gives the
# session a new key) does not hide what the shopper made just before.
_REMEMBERED = 50


@dataclass(frozen=True)
class Shopper:
    owner: Any  # the user, or None for an anonymous shopper
    session_key: str


def _session(request: Any) -> Any:
    session = getattr(request, "session", None)
    if session is None:
        raise ImproperlyConfigured(
            "django-tryon needs django.contrib.sessions' SessionMiddleware for anonymous shoppers."
        )
    return session


def is_staff(request: Any) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_staff)


def current_shopper(request: Any, *, create_session: bool = False) -> Shopper | None:
    """The request's shopper; for an anonymous one without a session, None unless created."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return Shopper(owner=user, session_key="")
    session = _session(request)
    if not session.session_key:
        if not create_session:
            return None
        # Marking the session modified makes SessionMiddleware send its cookie.
        session.setdefault(_SESSION_IDS, [])
        session.modified = True
        session.save()
    return Shopper(owner=None, session_key=session.session_key)


def ensure_session(request: Any) -> None:
    """Give an anonymous shopper's browser its session now, before its first upload.

    Called when the widget's page renders (and by ``GET api/model-photos/``, for front
    ends of their own): the session cookie then arrives with the page, so uploads sent
    in parallel right after it share one session instead of each making its own (and
    the shopper losing all but one of them). No-op for a signed-in user, without
    ``ALLOW_ANONYMOUS``, or without SessionMiddleware's session.
    """
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return
    session = getattr(request, "session", None)
    if not tryon_settings.ALLOW_ANONYMOUS or not isinstance(session, SessionBase):
        return
    current_shopper(request, create_session=True)


def remember(request: Any, tryon: TryOn) -> None:
    """Note in the session that it made ``tryon``."""
    session = getattr(request, "session", None)
    if session is not None:
        ids = [str(tryon.pk), *session.get(_SESSION_IDS, [])]
        session[_SESSION_IDS] = ids[:_REMEMBERED]


def _remembered(request: Any) -> list[str]:
    session = getattr(request, "session", None)
    ids = session.get(_SESSION_IDS, []) if session is not None else []
    return [str(value) for value in ids if isinstance(value, str)]


def _owned_by(shopper: Shopper) -> Q:
    if shopper.owner is not None:
        return Q(owner=shopper.owner)
    return Q(owner__isnull=True, session_key=shopper.session_key)


def visible_tryons(request: Any) -> Any:
    """The try-ons ``request`` may read or delete (expired ones only for staff)."""
    rows = TryOn.objects.select_related("garment", "model_photo")
    if is_staff(request):
        return rows
    shopper = current_shopper(request)
    owned = Q(pk__in=_remembered(request))
    if shopper is not None:
        owned |= _owned_by(shopper)
    not_expired = Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    return rows.filter(owned & not_expired)


def usable_model_photos(request: Any) -> Any:
    """Model photos a new try-on may use: active presets, and the shopper's own live uploads."""
    presets = Q(is_preset=True, is_active=True)
    shopper = current_shopper(request)
    if shopper is None:
        return ModelPhoto.objects.filter(presets)
    own = Q(is_preset=False, expires_at__gt=timezone.now()) & _owned_by(shopper)
    return ModelPhoto.objects.filter(presets | own)
