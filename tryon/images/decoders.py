"""Where pictures are decoded: a few threads per process, whatever the server runs.

``TRYON['MAX_CONCURRENT_DECODES']`` threads (default 2) do every decode; a request
thread hands its picture over and waits (:func:`run_decoding`). That bounds the
decodes at once, so peak memory is about that many times ``MAX_DECODE_BYTES`` however
many uploads arrive together; and it keeps the large pixel buffers in those few
threads. (glibc gives each thread that allocates its own heap arena and keeps what
was freed there: with decodes in every request thread, 8 threads kept about twice
the memory that 2 decode threads keep. See ``bench/images.py``.)

``None`` decodes in the calling thread, unbounded. The language active in the caller
is active in the decode thread, so refusals are worded for the shopper.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.utils import translation

from ..conf import tryon_settings

__all__ = ["run_decoding"]

T = TypeVar("T")

_lock = threading.Lock()
_pool: tuple[int, ThreadPoolExecutor] | None = None
_in_decoder = threading.local()


def run_decoding(function: Callable[..., T], *args: object) -> T:
    """``function(*args)`` in one of the process's decode threads (waiting for one)."""
    pool = _decode_pool()
    if pool is None or getattr(_in_decoder, "active", False):
        return function(*args)  # unbounded, or already in a decode thread
    language = translation.get_language()

    def decode() -> T:
        _in_decoder.active = True
        try:
            with translation.override(language):
                return function(*args)
        finally:
            _in_decoder.active = False

    return pool.submit(decode).result()


def _decode_pool() -> ThreadPoolExecutor | None:
    global _pool
    size = tryon_settings.MAX_CONCURRENT_DECODES
    if size is None:
        return None
    size = max(1, int(size))
    with _lock:
        if _pool is None or _pool[0] != size:
            if _pool is not None:
                _pool[1].shutdown(wait=False)  # a new size: its queued decodes still run
            _pool = (size, ThreadPoolExecutor(size, thread_name_prefix="tryon-decode"))
        return _pool[1]


def _forget_pool_after_fork() -> None:
    # A pool made before a fork (a server preloading the app) has no threads in the child.
    global _pool
    _pool = None


os.register_at_fork(after_in_child=_forget_pool_after_fork)
