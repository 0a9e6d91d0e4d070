"""Per-shopper rate limits with default rates shipped in ``TRYON`` (no host setup).

DRF's scoped throttles raise ImproperlyConfigured when the host has no
``DEFAULT_THROTTLE_RATES`` entry; these read ``TRYON['BURST_RATE']`` and
``TRYON['DAILY_RATE']`` instead (``None`` turns one off). A shopper is the signed-in
user, else the client address: a session is free to drop, so it cannot be the key.
Counts live in Django's default cache, which must be shared (Redis, Memcached, the
database) when the shop runs several processes. Behind a reverse proxy, set DRF's
``NUM_PROXIES`` so the client address is read from ``X-Forwarded-For``; until then
that header (which any client can forge) is ignored.
"""

from __future__ import annotations

from typing import Any

from rest_framework.throttling import SimpleRateThrottle

from ..conf import tryon_settings


class _ShopperRateThrottle(SimpleRateThrottle):
    setting = ""

    def get_rate(self) -> str | None:
        return getattr(tryon_settings, self.setting)

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        user = request.user
        if user is not None and user.is_authenticated:
            if user.is_staff:
                return None  # staff trying the shop are not shoppers to slow down
            ident = f"user:{user.pk}"
        else:
            ident = f"addr:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def get_ident(self, request: Any) -> str:
        # DRF trusts X-Forwarded-For when NUM_PROXIES is unset, so a script could send
        # a new address each time. Only a shop that says how many proxies it has gets
        # the forwarded address; otherwise the socket's peer counts.
        from rest_framework.settings import api_settings

        if api_settings.NUM_PROXIES is not None:
            return str(super().get_ident(request))
        return str(request.META.get("REMOTE_ADDR", ""))


class ShopperBurstThrottle(_ShopperRateThrottle):
    """Try-ons a shopper may request in a short time (``TRYON['BURST_RATE']``, "10/min")."""

    scope = "tryon_burst"
    setting = "BURST_RATE"


class ShopperDailyThrottle(_ShopperRateThrottle):
    """Try-ons a shopper may request in a day (``TRYON['DAILY_RATE']``, "50/day")."""

    scope = "tryon_daily"
    setting = "DAILY_RATE"
