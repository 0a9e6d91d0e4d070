"""Background tasks, on the Django Tasks API. Arguments are JSON-safe (ids as strings)."""

from __future__ import annotations

from .compat import task
from .jobs import execute_tryon


@task()
def run_tryon(tryon_id: str) -> str:
    """Generate one TryOn. Safe to deliver twice: a row already taken is left alone."""
    return execute_tryon(str(tryon_id))
