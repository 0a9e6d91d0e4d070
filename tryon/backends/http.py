"""A base for backends that call a provider's HTTP API (over httpx).

``HttpBackend`` owns what every such provider shares, so that a provider module only
describes its own wire format:

- one ``httpx.Client`` per backend, built on first use (settings are read then) and
  closed by ``close()``, with the timeout and a versioned User-Agent;
- the retry policy: a POST is sent again only when the error it met says so
  (``ProviderError.transient``), at most ``MAX_RETRIES`` times, with doubling backoff. A
  POST that may have reached the provider (sent, then no answer) is never repeated: each
  one may be charged;
- bounded downloads of result URLs (``MAX_DOWNLOAD_BYTES``, ``DOWNLOAD_TIMEOUT``), which
  never carry the provider's credentials (``transport.py`` holds them and the list of
  transport failures worth another attempt), and only from the API's own host or
  ``RESULT_HOSTS``, never from a private address (``urls.DownloadPolicy``);
- secrecy: secret option values and the base URL's user:password are scrubbed from every
  message, log record and ``repr``.

A provider subclass fills in ``parse_response`` (an answer -> ``BackendResult``, or the
``ProviderError`` it means), ``request_headers`` (authentication) and its code table
(``error_classes``, ``error_descriptions``). See ``docs/adding-a-provider.md``.
"""

from __future__ import annotations

import functools
import logging
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import cached_property
from typing import Any, ClassVar, NoReturn

import httpx
from django.core.exceptions import ImproperlyConfigured

import tryon

from ..exceptions import (
    UNDOCUMENTED_ERROR,
    ProviderConfigurationError,
    ProviderError,
    ProviderNoAnswerError,
    ProviderResponseError,
    TransientProviderError,
    TryOnConfigurationError,
)
from . import transport
from .base import BackendResult, BaseBackend, Option
from .multipart import FormValue, encode_multipart
from .transport import MAYBE_DELIVERED_ERRORS, TRANSIENT_TRANSPORT_ERRORS
from .urls import (
    DownloadPolicy,
    host_of,
    is_http_url,
    on_private_network,
    redact_url,
    resolve_addresses,
    userinfo,
)

logger = logging.getLogger(__name__)

USER_AGENT = f"django-tryon/{tryon.__version__} httpx/{httpx.__version__}"

# Longest piece of a provider's answer quoted in an error message.
_SNIPPET_CHARS = 200
# A very short secret (tests) would mangle every message; real keys are long.
_MIN_SECRET_CHARS = 6


class HttpBackend(BaseBackend):
    """A provider reached over HTTP. Subclass it; see the module docstring.

    ``transport`` is an optional ``httpx`` transport (``httpx.MockTransport`` in tests);
    ``sleep`` is what waits between retries (tests pass a recorder).
    """

    known_options: ClassVar[Mapping[str, Option]] = {
        "API_BASE_URL": Option(),
        "TIMEOUT": Option(setting="TIMEOUT"),
        "MAX_RETRIES": Option(setting="MAX_RETRIES"),
        "RETRY_BACKOFF": Option(setting="RETRY_BACKOFF"),
        "MAX_DOWNLOAD_BYTES": Option(setting="MAX_DOWNLOAD_BYTES"),
        "DOWNLOAD_TIMEOUT": Option(setting="DOWNLOAD_TIMEOUT"),
        "RESULT_HOSTS": Option(setting="RESULT_HOSTS"),
    }
    #: Shown in the message about a base URL that is not an http(s) URL.
    base_url_example: ClassVar[str] = "https://api.example.com"

    def __init__(
        self,
        options: Mapping[str, Any] | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        super().__init__(options)
        self._transport = transport
        self._sleep = sleep if sleep is not None else time.sleep
        self._http: httpx.Client | None = None

    def __repr__(self) -> str:
        try:
            shown = redact_url(self.base_url)
        except ImproperlyConfigured:
            shown = "(not configured)"
        return f"<{type(self).__name__} base_url={shown!r}>"

    # -- settings, read on first use -------------------------------------------------------

    @cached_property
    def base_url(self) -> str:
        value = self.option("API_BASE_URL")
        if not isinstance(value, str) or not is_http_url(value.strip()):
            raise TryOnConfigurationError(
                f"{self.option_location('API_BASE_URL')} must be an http(s) URL such as "
                f"{self.base_url_example!r}."
            )
        return value.strip().rstrip("/")

    @cached_property
    def timeout(self) -> float:
        return float(self.option("TIMEOUT"))

    @cached_property
    def max_retries(self) -> int:
        return max(0, int(self.option("MAX_RETRIES")))

    @cached_property
    def retry_backoff(self) -> float:
        return max(0.0, float(self.option("RETRY_BACKOFF")))

    @cached_property
    def max_download_bytes(self) -> int:
        return int(self.option("MAX_DOWNLOAD_BYTES"))

    @cached_property
    def download_timeout(self) -> float:
        return float(self.option("DOWNLOAD_TIMEOUT"))

    @cached_property
    def result_hosts(self) -> tuple[str, ...]:
        """Hosts results may be downloaded from: the API's own, then ``RESULT_HOSTS``."""
        value = self.option("RESULT_HOSTS") or ()
        if not isinstance(value, (list, tuple, set, frozenset)) or not all(
            isinstance(host, str) for host in value
        ):
            raise TryOnConfigurationError(
                f"{self.option_location('RESULT_HOSTS')} must be a list of host names, such "
                "as ['results.example.com', '.cdn.example.com']."
            )
        return (host_of(self.base_url), *value)

    @cached_property
    def download_policy(self) -> DownloadPolicy:
        """Where results may come from (``urls.DownloadPolicy``), decided on first use."""
        resolve = self.resolve_addresses
        # An API on a private network (a test fake on loopback, an in-house gateway)
        # may serve its results from there too.
        check_addresses = self._transport is None and not on_private_network(self.base_url, resolve)
        return DownloadPolicy(self.result_hosts, check_addresses, resolve)

    #: What a host name resolves to (a test may replace it: no DNS in tests).
    resolve_addresses = staticmethod(resolve_addresses)

    @cached_property
    def _secrets(self) -> tuple[str, ...]:
        found = [
            value.strip()
            for name, spec in self.known_options.items()
            if spec.secret and isinstance(value := self.option(name), str)
        ]
        base_url = self.option("API_BASE_URL")
        if isinstance(base_url, str):
            found.append(userinfo(base_url))
        return tuple(secret for secret in found if len(secret) >= _MIN_SECRET_CHARS)

    def configure(self) -> None:
        """Read and check the settings now; ``TryOnConfigurationError`` names what to fix.

        A provider with settings of its own extends it.
        """
        _ = (self.base_url, self.timeout, self.max_retries, self.retry_backoff, self._secrets)
        _ = (self.max_download_bytes, self.download_timeout, self.result_hosts)

    @property
    def http(self) -> httpx.Client:
        """The HTTP client, built on first use."""
        if self._http is None:
            self.configure()
            # No credentials here: they are added per provider request, so downloads
            # never carry them.
            self._http = httpx.Client(
                transport=self._transport,
                timeout=self.timeout,
                headers={"User-Agent": USER_AGENT},
                verify=_ssl_context(),
            )
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    # -- what a provider fills in ------------------------------------------------------------

    def request_headers(self) -> dict[str, str]:
        """Headers of every provider request (authentication goes here, never on downloads)."""
        return {"Accept": "application/json"}

    def parse_response(self, response: httpx.Response) -> BackendResult:
        """The result in a provider's answer, or raise the ``ProviderError`` it means."""
        raise NotImplementedError

    def unknown_code_error(self, code: int) -> type[ProviderError]:
        """The error class of a code missing from ``error_classes``."""
        return ProviderError

    # -- the POST pipeline -----------------------------------------------------------------

    def post_form(self, path: str, fields: Mapping[str, FormValue]) -> BackendResult:
        """POST ``fields`` as ``multipart/form-data`` to ``base_url + path``."""
        content_type, body = encode_multipart(fields)
        return self.post(path, content_type, body)

    def post(self, path: str, content_type: str, body: bytes) -> BackendResult:
        """Send ``body``, retrying what is transient; each POST is a paid attempt.

        The result's ``provider_calls`` (or a raised error's ``attempts``) counts them.
        ``paid_attempts`` (the job's, see ``BaseBackend``) hears of each attempt before
        it is sent, and again once it is settled (never after a POST that may have
        reached the provider unanswered); if it raises, nothing is sent.
        """
        http = self.http
        url = self.base_url + path
        listener = self.paid_attempts
        attempt = 0
        while True:
            attempt += 1
            if listener is not None:
                listener.before_paid_attempt()
            started = time.monotonic()
            try:
                result, status = self._post_once(http, url, content_type, body)
            except ProviderError as exc:
                if listener is not None and not isinstance(exc, ProviderNoAnswerError):
                    listener.paid_attempt_settled(None)
                self._log_failure(path, attempt, exc, time.monotonic() - started)
                if not exc.transient or attempt > self.max_retries:
                    raise with_attempts(exc, attempt)
                self._backoff(attempt)
                continue
            elapsed = time.monotonic() - started
            logger.info("Provider %s attempt %d: code %d in %.2fs.", path, attempt, status, elapsed)
            result = replace(result, provider_calls=attempt)
            if listener is not None:
                listener.paid_attempt_settled(result)
            return result

    def _post_once(
        self, http: httpx.Client, url: str, content_type: str, body: bytes
    ) -> tuple[BackendResult, int]:
        headers = {**self.request_headers(), "Content-Type": content_type}
        shown = redact_url(self.base_url)
        try:
            response = http.post(url, content=body, headers=headers)
        except MAYBE_DELIVERED_ERRORS as exc:
            raise ProviderNoAnswerError(
                f"The provider at {shown} did not answer ({type(exc).__name__}); the call "
                "may have been charged, so it is not repeated."
            ) from exc
        except TRANSIENT_TRANSPORT_ERRORS as exc:
            raise TransientProviderError(
                f"Could not get an answer from the provider at {shown}: "
                f"{type(exc).__name__}: {self.scrub(str(exc))}"
            ) from exc
        except httpx.HTTPError as exc:
            raise ProviderError(
                f"The request to the provider at {shown} failed: "
                f"{type(exc).__name__}: {self.scrub(str(exc))}"
            ) from exc
        return self.parse_response(response), response.status_code

    # -- helpers for parse_response ----------------------------------------------------------

    def error_for_code(
        self, code: int, provider_msg: str = "", status_code: int | None = None
    ) -> ProviderError:
        """The typed exception for one of the provider's codes (from its table)."""
        cls = self.error_classes.get(code) or self.unknown_code_error(code)
        description = self.error_descriptions.get(code, UNDOCUMENTED_ERROR)
        message = f"{description} Provider said: {provider_msg}" if provider_msg else description
        return cls(message, code=code, provider_msg=provider_msg, status_code=status_code)

    def raise_for_status(self, response: httpx.Response, what: str) -> NoReturn:
        """Raise for an answer with no usable code: all that is left is the HTTP status.

        ``what`` says what the body was ("a body that is not JSON"...).
        """
        status = response.status_code
        message = (
            f"The provider answered HTTP {status} with {what}: {self.snippet(response.text)!r}"
        )
        if status >= 500:
            raise TransientProviderError(message, status_code=status)
        if status in (401, 403):
            raise ProviderConfigurationError(
                f"{message} Check {self.credentials_location()}.", status_code=status
            )
        raise ProviderResponseError(message, status_code=status)

    def credentials_location(self) -> str:
        """Where the secret options come from, for a message about refused credentials."""
        names = [name for name, spec in self.known_options.items() if spec.secret]
        return " and ".join(map(self.option_location, names)) or "the provider credentials"

    def scrub(self, text: str) -> str:
        """``text`` without any secret, whatever produced it."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def snippet(self, text: str) -> str:
        """A scrubbed, bounded quote of a provider's answer."""
        text = self.scrub(text.strip())
        if len(text) > _SNIPPET_CHARS:
            return text[:_SNIPPET_CHARS] + "…"
        return text

    # -- downloads ---------------------------------------------------------------------------

    def download(self, url: str) -> bytes:
        """The bytes at a result URL, bounded and retried (see ``transport.download``).

        Only from the provider's hosts, never a private address (``download_policy``),
        and only through redirects to the same.
        """
        http = self.http
        return transport.download(
            http,
            url,
            max_bytes=self.max_download_bytes,
            max_bytes_setting=self.option_location("MAX_DOWNLOAD_BYTES"),
            timeout=self.download_timeout,
            max_retries=self.max_retries,
            backoff=self._backoff,
            scrub=self.scrub,
            check_url=self.download_policy.check,
        )

    # -- retries and logs --------------------------------------------------------------------

    def _backoff(self, attempt: int) -> None:
        delay = self.retry_backoff * 2 ** (attempt - 1)
        if delay > 0:
            self._sleep(delay)

    def _log_failure(self, path: str, attempt: int, exc: ProviderError, elapsed: float) -> None:
        # A transport failure has no code: name what httpx raised (ConnectError...).
        cause = exc.__cause__ if exc.__cause__ is not None else exc
        outcome = f"code {exc.code}" if exc.code is not None else type(cause).__name__
        if exc.status_code is not None:
            outcome += f", HTTP {exc.status_code}"
        retrying = exc.transient and attempt <= self.max_retries
        logger.warning(
            "Provider %s attempt %d: %s in %.2fs%s.",
            path,
            attempt,
            outcome,
            elapsed,
            "; retrying" if retrying else "",
        )


def with_attempts(exc: ProviderError, attempts: int) -> ProviderError:
    """``exc``, recording how many paid requests were sent (0: refused before sending)."""
    exc.attempts = attempts
    return exc


def json_object(response: httpx.Response) -> dict[str, Any] | None:
    """The answer's body if it is a JSON object, else None."""
    try:
        body = response.json()
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        return None
    return body if isinstance(body, dict) else None


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle takes tens of milliseconds: do it once per process, not per
    # backend (one is built for every job).
    return httpx.create_ssl_context()
