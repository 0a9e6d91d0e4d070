"""Try-on analytics: a funnel, a randomised holdout and a credit ledger, in the shop's DB.

The public names::

    from tryon import analytics

    analytics.record_conversion(request, product=product, kind="add_to_cart", value=price)
    analytics.record_conversion(request, kind="order", value=order.total)
    analytics.in_holdout(request)  # True: this session never sees the widget
    analytics.summary(start, end)  # the dashboard's figures as a dict

See ``docs/analytics.md``. The names load lazily: ``tryon.models`` imports
``tryon.analytics.models`` while Django sets up, before the modules behind these names
(which read ``tryon.models``) can be imported.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .alerts import budget_alert, check_budget_alert
    from .cleanup import delete_expired_events
    from .conversions import record_conversion
    from .events import (
        record_event,
        record_tryon_deleted,
        record_tryon_finished,
        record_tryon_requested,
    )
    from .holdout import in_holdout, record_widget_render
    from .report import summary
    from .rollup import roll_up_closed_days

_PUBLIC = {
    "budget_alert": "alerts",
    "check_budget_alert": "alerts",
    "delete_expired_events": "cleanup",
    "in_holdout": "holdout",
    "record_conversion": "conversions",
    "record_event": "events",
    "record_tryon_deleted": "events",
    "record_tryon_finished": "events",
    "record_tryon_requested": "events",
    "record_widget_render": "holdout",
    "roll_up_closed_days": "rollup",
    "summary": "report",  # not "summary": the submodule would shadow the function
}

__all__ = [
    "budget_alert",
    "check_budget_alert",
    "delete_expired_events",
    "in_holdout",
    "record_conversion",
    "record_event",
    "record_tryon_deleted",
    "record_tryon_finished",
    "record_tryon_requested",
    "record_widget_render",
    "roll_up_closed_days",
    "summary",
]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'tryon.analytics' has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # once
    return value
