"""The dashboard menu entry, safe to import from a settings module.

``OSCAR_DASHBOARD_NAVIGATION`` is a setting, so this module imports nothing that
needs the app registry: only lazy translations and plain data.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

#: The URL namespace the dashboard pages are included under (see ``apps.py``).
DASHBOARD_NAMESPACE = "tryon_dashboard"

#: Append to ``OSCAR_DASHBOARD_NAVIGATION`` for a "Try-on" menu with the garments.
TRYON_DASHBOARD_NAVIGATION: dict[str, Any] = {
    "label": _("Try-on"),
    "icon": "fas fa-tshirt",
    "children": [
        {
            "label": _("Garments"),
            "url_name": f"{DASHBOARD_NAMESPACE}:tryon-garment-list",
        },
    ],
}


def has_tryon_entry(navigation: list[dict[str, Any]]) -> bool:
    """Whether some entry of ``navigation`` (at any depth) opens a try-on dashboard page."""
    for entry in navigation:
        if str(entry.get("url_name") or "").startswith(f"{DASHBOARD_NAMESPACE}:"):
            return True
        if has_tryon_entry(entry.get("children") or []):
            return True
    return False
