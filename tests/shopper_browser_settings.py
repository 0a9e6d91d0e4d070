"""The browser settings for the shopper flows: the real provider backend against the fake
provider (``tryon.testing.FakeChangeClothesServer``, on loopback; its URL in
``TRYON_FAKE_PROVIDER_URL``), so results are "AI-generated" and provider calls countable,
and throttles wide enough for a module of flows.

Every anonymous shopper of the browser tests comes from 127.0.0.1, so the per-shopper
throttle (``BURST_RATE``, keyed by the client address without a user) would count all
their try-ons as one shopper's.
"""

from __future__ import annotations

import os

from tests.browser_settings import *  # noqa: F403
from tests.browser_settings import TRYON

TRYON = {
    **TRYON,
    "BACKEND": "tryon.backends.changeclothes.ChangeClothesBackend",
    "API_BASE_URL": os.environ["TRYON_FAKE_PROVIDER_URL"],
    "API_KEY": "fake-api-key",
    "BURST_RATE": "200/min",
    "DAILY_RATE": "2000/day",
}
