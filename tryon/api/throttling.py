"""Per-shopper rate limits with default rates shipped in ``TRYON`` (no host setup).

DRF's scoped throttles raise ImproperlyConfigured when the host has no
``DEFAULT_THROTTLE_RATES`` entry; these read ``TRYON['BURST_RATE']`` and
``TRYON['DAILY_RATE']`` instead (``None`` turns one off). A shopper is the signed-in
user, else the client address: a session is free to drop, so it cannot be the key.
Counts live in Django's default cache, which must be shared (Redis, Memcached, the
database) when the shop runs several processes.
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


class ShopperBurstThrottle(_ShopperRateThrottle):
    """Try-ons a shopper may request in a short time (``TRYON['BURST_RATE']``, "10/min")."""

    scope = "tryon_burst"
    setting = "BURST_RATE"


class ShopperDailyThrottle(_ShopperRateThrottle):
    """Try-ons a shopper may request in a day (``TRYON['DAILY_RATE']``, "50/day")."""

    scope = "tryon_daily"
    setting = "DAILY_RATE"
