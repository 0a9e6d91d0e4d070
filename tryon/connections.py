"""Database connections that went away under a worker: closed, so the next query reopens.

A worker lives for days; its connection may be cut under it at any moment (a database
restart or failover, an idle timeout, ``pg_terminate_backend``). Django's own answer,
``close_old_connections``, runs around each web request; a task worker needs the same
around each job and after a database error, or every later query fails on the dead
connection and the task backend's own bookkeeping raises too, which kills the worker.

Never inside an atomic block: closing there would break the caller's transaction (the
test suite runs jobs inside one), and retrying a statement there is not ours to do.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections

logger = logging.getLogger("tryon.connections")

#: What a lost (or otherwise failing) connection raises.
CONNECTION_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)

P = ParamSpec("P")
T = TypeVar("T")


def close_if_lost(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Close the connection if it no longer works, so the next query opens a new one.

    Whether it was closed. Costs one ``SELECT 1`` on an open connection (none on SQLite).
    """
    connection = connections[using]
    if connection.connection is None or connection.in_atomic_block:
        return False
    try:
        usable = connection.is_usable()
    except Exception:  # a broken driver state: treat it as unusable
        usable = False
    if usable:
        return False
    logger.warning("The database connection %r was lost; reconnecting.", using)
    try:
        connection.close()
    except Exception:  # closing a dead socket may complain; it is gone either way
        connection.connection = None
    return True


def close_lost_connections() -> None:
    """:func:`close_if_lost` for every connection this thread has opened."""
    for connection in connections.all(initialized_only=True):
        close_if_lost(connection.alias)


def once_more_if_lost(write: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``write``; if it failed because the connection was lost, reconnect and run it
    once more. Only for writes that are safe to repeat (conditional UPDATEs)."""
    try:
        return write(*args, **kwargs)
    except CONNECTION_ERRORS:
        if not close_if_lost():
            raise
    return write(*args, **kwargs)
