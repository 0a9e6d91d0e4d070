"""URL checks shared by the HTTP base and the form encoder."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def is_http_url(value: str) -> bool:
    """Whether ``value`` is an absolute http(s) URL with a host."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def redact_url(url: str, *, drop_query: bool = False) -> str:
    """``url`` without user:password (and without the query, which may hold a token)."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    query = "" if drop_query else parts.query
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def userinfo(url: str) -> str:
    """The ``user:password`` part of ``url`` ('' when there is none)."""
    return urlsplit(url).netloc.rpartition("@")[0]
