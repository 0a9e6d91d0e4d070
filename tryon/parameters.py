"""Limits of a try-on's parameters, defined once.

The client checks them before a paid call, the REST serializers and the admin form turn
them into field errors, and the offline backend draws its seeds from the same range.
They are the documented ranges of the Change Clothes API (``api/changeclothes-api.md``).
"""

from __future__ import annotations

from typing import Final

CATEGORIES: Final = ("upper_body", "lower_body", "dresses")
SEED_MIN: Final = 0
SEED_MAX: Final = 2_147_483_647  # 2**31 - 1
GUIDANCE_SCALE_RANGE: Final = (1, 100)
INFERENCE_STEPS_RANGE: Final = (1, 50)
