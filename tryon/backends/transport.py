"""Transport-level policy shared by HTTP backends: which httpx failures deserve another
attempt, which may have delivered a paid POST, and bounded downloads of results that
follow only the redirects their caller's ``check_url`` accepts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx

from ..exceptions import DownloadError
from .urls import is_http_url, redact_url

logger = logging.getLogger(__name__)

# Transport failures worth another attempt: the connection failed, timed out, or the
# server hung up without an answer. Anything else (a bad URL scheme, a local protocol
# error) is a bug or misconfiguration that would fail the same way again.
TRANSIENT_TRANSPORT_ERRORS: tuple[type[httpx.HTTPError], ...] = (
    httpx.TimeoutException,  # connect, read, write and pool timeouts
    httpx.NetworkError,  # connection refused or reset
    httpx.RemoteProtocolError,  # server disconnected without a response
)
# Of those, the ones after which a paid POST may have reached the provider (it was sent,
# then the answer never came): repeating it could pay twice, so it is not repeated.
# Downloads (GETs) cost nothing and are retried after any of them.
MAYBE_DELIVERED_ERRORS: tuple[type[httpx.HTTPError], ...] = (
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)


# Redirects a result download may follow, each to a URL ``check_url`` accepts.
MAX_REDIRECTS = 3


class _RetryableDownload(Exception):
    """A download failure worth another GET (internal)."""


def download(
    http: httpx.Client,
    url: str,
    *,
    max_bytes: int,
    max_bytes_setting: str,
    timeout: float,
    max_retries: int,
    backoff: Callable[[int], None],
    scrub: Callable[[str], str],
    check_url: Callable[[str], None] = lambda url: None,
) -> bytes:
    """The bytes at a result URL. ``http`` must carry no credentials: it is a CDN.

    ``check_url`` raises ``DownloadError`` for a URL that must not be fetched (not the
    provider's host, a private address); it sees the URL and every redirect's target
    before that is requested, and at most ``MAX_REDIRECTS`` redirects are followed.
    Connection failures and 5xx answers are retried up to ``max_retries`` times (a GET
    costs nothing; ``backoff(attempt)`` waits between them); any other non-200 answer, or
    a body over ``max_bytes`` (``max_bytes_setting`` is named), raises ``DownloadError``.
    ``scrub`` removes secrets from what httpx says.
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            return _download_following(
                http, url, max_bytes, max_bytes_setting, timeout, scrub, check_url
            )
        except _RetryableDownload as exc:
            if attempt > max_retries:
                raise DownloadError(f"{exc} (gave up after {attempt} attempts)") from exc.__cause__
            logger.warning("Download attempt %d failed: %s; retrying.", attempt, exc)
            backoff(attempt)


def _download_following(
    http: httpx.Client,
    url: str,
    max_bytes: int,
    max_bytes_setting: str,
    timeout: float,
    scrub: Callable[[str], str],
    check_url: Callable[[str], None],
) -> bytes:
    for _hop in range(MAX_REDIRECTS + 1):
        if not is_http_url(url):
            raise DownloadError("Refusing to download a result that is not an http(s) URL.")
        check_url(url)
        outcome = _download_once(http, url, max_bytes, max_bytes_setting, timeout, scrub)
        if isinstance(outcome, bytes):
            return outcome
        url = outcome.target
    raise DownloadError(
        f"Downloading {redact_url(url, drop_query=True)} failed: more than {MAX_REDIRECTS} "
        "redirects."
    )


class _Redirect:
    def __init__(self, target: str) -> None:
        self.target = target


def _download_once(
    http: httpx.Client,
    url: str,
    max_bytes: int,
    max_bytes_setting: str,
    timeout: float,
    scrub: Callable[[str], str],
) -> bytes | _Redirect:
    shown = redact_url(url, drop_query=True)
    try:
        # Redirects are followed by the caller, which checks each target first.
        with http.stream(
            "GET", url, headers={"Accept": "image/*"}, timeout=timeout, follow_redirects=False
        ) as response:
            if response.next_request is not None:
                return _Redirect(str(response.next_request.url))
            if response.status_code >= 500:
                raise _RetryableDownload(
                    f"Downloading {shown} failed: the server answered HTTP {response.status_code}."
                )
            if response.status_code != 200:
                raise DownloadError(
                    f"Downloading {shown} failed: the server answered HTTP "
                    f"{response.status_code} (the result may have expired)."
                )
            too_big = DownloadError(
                f"Downloading {shown} failed: the result is larger than {max_bytes} bytes "
                f"({max_bytes_setting})."
            )
            return _read_bounded(response, max_bytes, too_big)
    except TRANSIENT_TRANSPORT_ERRORS as exc:
        raise _RetryableDownload(
            f"Downloading {shown} failed: {type(exc).__name__}: {scrub(str(exc))}"
        ) from exc
    except httpx.HTTPError as exc:
        raise DownloadError(
            f"Downloading {shown} failed: {type(exc).__name__}: {scrub(str(exc))}"
        ) from exc


def _read_bounded(response: httpx.Response, limit: int, too_big: DownloadError) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_big
    # The declared length may be absent or wrong: count what actually arrives.
    chunks: list[bytes] = []
    received = 0
    for chunk in response.iter_bytes():
        received += len(chunk)
        if received > limit:
            raise too_big
        chunks.append(chunk)
    return b"".join(chunks)
