"""The Change Clothes AI wire format, over httpx.

One ``ChangeClothesClient`` speaks both POST endpoints of the provider
(``/api/openapi/change-clothes-ai`` and ``/api/openapi/change-clothes-by-prompt``) and
downloads the result URLs it returns. It validates every parameter before anything is
sent (each POST is a paid call), maps the documented error codes to
``tryon.exceptions`` classes wherever they appear (the JSON body or the HTTP status), and
retries only what the provider calls transient, a bounded number of times.

The API key lives in one private attribute. It is added to the provider requests only,
never to downloads from the CDN, and never reaches a log record, an exception message or
``repr(client)``.
"""

from __future__ import annotations

import base64
import binascii
import functools
import logging
import math
import re
import secrets
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any, NoReturn
from urllib.parse import urlsplit, urlunsplit

import httpx

import tryon

from .conf import tryon_settings
from .exceptions import (
    DownloadError,
    ProviderConfigurationError,
    ProviderError,
    ProviderInvalidInputError,
    ProviderNoAnswerError,
    ProviderResponseError,
    TransientProviderError,
    TryOnConfigurationError,
    error_for_code,
)
from .images import sniff_image_type
from .parameters import CATEGORIES, GUIDANCE_SCALE_RANGE, INFERENCE_STEPS_RANGE, SEED_MAX, SEED_MIN

logger = logging.getLogger("tryon.client")

CHANGE_CLOTHES_PATH = "/api/openapi/change-clothes-ai"
CHANGE_CLOTHES_BY_PROMPT_PATH = "/api/openapi/change-clothes-by-prompt"


USER_AGENT = f"django-tryon/{tryon.__version__} httpx/{httpx.__version__}"

# Longest piece of a provider's answer quoted in an error message.
_SNIPPET_CHARS = 200

# Transport failures worth another attempt: the connection failed, timed out, or the
# server hung up without an answer. Anything else (a bad URL scheme, a local protocol
# error) is a bug or misconfiguration that would fail the same way again.
_TRANSIENT_TRANSPORT_ERRORS: tuple[type[httpx.HTTPError], ...] = (
    httpx.TimeoutException,  # connect, read, write and pool timeouts
    httpx.NetworkError,  # connection refused or reset
    httpx.RemoteProtocolError,  # server disconnected without a response
)
# Of those, the ones after which a paid POST may have reached the provider (it was sent,
# then the answer never came): repeating it could pay twice, so it is not repeated.
# Downloads (GETs) cost nothing and are retried after any of them.
_MAYBE_DELIVERED_ERRORS: tuple[type[httpx.HTTPError], ...] = (
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)

_DATA_URI_RE = re.compile(
    r"^data:(?P<mime>image/[a-z0-9][a-z0-9.+-]*);base64,(?P<payload>[A-Za-z0-9+/=\s]*)$",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True)
class ProviderResult:
    """A successful provider answer."""

    result_url: str
    mask_url: str | None = None
    seed: int | None = None
    cache_hit: bool = False
    # POSTs sent to get this answer; each one is a paid attempt.
    attempts: int = 1


@dataclass(frozen=True)
class _FilePart:
    filename: str
    content_type: str
    content: bytes


_FormValue = str | _FilePart


class ChangeClothesClient:
    """A client for the Change Clothes AI HTTP API.

    ``sleep`` is what waits between retries (tests pass a recorder); ``transport`` is an
    optional ``httpx`` transport (``httpx.MockTransport`` in tests).
    """

    def __init__(
        self,
        api_key: str,
        base_url: str,
        timeout: float,
        max_retries: int,
        retry_backoff: float,
        transport: httpx.BaseTransport | None = None,
        *,
        max_download_bytes: int = 30 * 1024 * 1024,
        download_timeout: float = 30,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        if not isinstance(api_key, str) or not api_key.strip():
            raise TryOnConfigurationError(
                "TRYON['API_KEY'] is not set: add your Change Clothes AI key to the "
                "TRYON setting (or the TRYON_API_KEY environment variable)."
            )
        self._api_key = api_key.strip()
        self.base_url = _validated_base_url(base_url)
        self.timeout = float(timeout)
        self.max_retries = max(0, int(max_retries))
        self.retry_backoff = max(0.0, float(retry_backoff))
        self.max_download_bytes = int(max_download_bytes)
        self.download_timeout = float(download_timeout)
        self._sleep = sleep if sleep is not None else time.sleep
        # No Authorization here: it is added per request, so downloads never carry it.
        self._http = httpx.Client(
            transport=transport,
            timeout=self.timeout,
            headers={"User-Agent": USER_AGENT},
            verify=_ssl_context(),
        )

    @classmethod
    def from_settings(
        cls,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> ChangeClothesClient:
        """A client configured from ``settings.TRYON``."""
        return cls(
            api_key=tryon_settings.API_KEY or "",
            base_url=tryon_settings.API_BASE_URL,
            timeout=tryon_settings.TIMEOUT,
            max_retries=tryon_settings.MAX_RETRIES,
            retry_backoff=tryon_settings.RETRY_BACKOFF,
            transport=transport,
            max_download_bytes=tryon_settings.MAX_DOWNLOAD_BYTES,
            download_timeout=tryon_settings.DOWNLOAD_TIMEOUT,
            sleep=sleep,
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} base_url={_redact_url(self.base_url)!r}>"

    # -- lifecycle ---------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ChangeClothesClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- the two endpoints ---------------------------------------------------------------

    def change_clothes(
        self,
        model_image: str | bytes,
        garment_image: str | bytes,
        category: str,
        description: str = "",
    ) -> ProviderResult:
        """Put the garment onto the model (``POST /api/openapi/change-clothes-ai``)."""
        try:
            fields: dict[str, _FormValue] = {
                "modelImg": _image_value(model_image, "modelImg", "model"),
                "garmentImg": _image_value(garment_image, "garmentImg", "garment"),
                "category": _validated_category(category),
            }
            if not isinstance(description, str):
                _invalid("garmentDesc must be a string.")
            # The provider wants the field omitted, not sent empty.
            if description.strip():
                fields["garmentDesc"] = description.strip()
        except ProviderError as exc:
            raise _with_attempts(exc, 0) from None
        return self._post(CHANGE_CLOTHES_PATH, fields)

    def change_clothes_by_prompt(
        self,
        model_image: str | bytes,
        prompt: str,
        seed: int | None = None,
        randomize_seed: bool | None = None,
        guidance_scale: float | None = None,
        num_inference_steps: int | None = None,
    ) -> ProviderResult:
        """Dress the model as the prompt says (``POST /api/openapi/change-clothes-by-prompt``)."""
        try:
            fields = _prompt_fields(
                model_image, prompt, seed, randomize_seed, guidance_scale, num_inference_steps
            )
        except ProviderError as exc:
            raise _with_attempts(exc, 0) from None
        return self._post(CHANGE_CLOTHES_BY_PROMPT_PATH, fields)

    # -- downloads -------------------------------------------------------------------------

    def download(self, url: str) -> bytes:
        """The bytes at a result URL (no Authorization header: it is the provider's CDN).

        Connection failures and 5xx answers are retried like provider calls (a GET costs
        nothing); any other non-200 answer, or a body over ``max_download_bytes``, raises
        ``DownloadError``.
        """
        if not _is_http_url(url):
            raise DownloadError("Refusing to download a result that is not an http(s) URL.")
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._download_once(url)
            except _RetryableDownload as exc:
                if attempt > self.max_retries:
                    raise DownloadError(
                        f"{exc} (gave up after {attempt} attempts)"
                    ) from exc.__cause__
                logger.warning("Download attempt %d failed: %s; retrying.", attempt, exc)
                self._backoff(attempt)

    def _download_once(self, url: str) -> bytes:
        shown = _redact_url(url, drop_query=True)
        try:
            with self._http.stream(
                "GET",
                url,
                headers={"Accept": "image/*"},
                timeout=self.download_timeout,
                follow_redirects=True,
            ) as response:
                if response.status_code >= 500:
                    raise _RetryableDownload(
                        f"Downloading {shown} failed: the server answered HTTP "
                        f"{response.status_code}."
                    )
                if response.status_code != 200:
                    raise DownloadError(
                        f"Downloading {shown} failed: the server answered HTTP "
                        f"{response.status_code} (the result may have expired)."
                    )
                return self._read_bounded(response, shown)
        except _TRANSIENT_TRANSPORT_ERRORS as exc:
            raise _RetryableDownload(
                f"Downloading {shown} failed: {type(exc).__name__}: {self._scrub(str(exc))}"
            ) from exc
        except httpx.HTTPError as exc:
            raise DownloadError(
                f"Downloading {shown} failed: {type(exc).__name__}: {self._scrub(str(exc))}"
            ) from exc

    def _read_bounded(self, response: httpx.Response, shown: str) -> bytes:
        limit = self.max_download_bytes
        too_big = DownloadError(
            f"Downloading {shown} failed: the result is larger than {limit} bytes "
            "(TRYON['MAX_DOWNLOAD_BYTES'])."
        )
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

    # -- the POST pipeline -------------------------------------------------------------

    def _post(self, path: str, fields: Mapping[str, _FormValue]) -> ProviderResult:
        """Send the form, retrying transient failures; each POST is a paid attempt."""
        content_type, body = encode_multipart(fields)
        url = self.base_url + path
        attempt = 0
        while True:
            attempt += 1
            started = time.monotonic()
            try:
                result = self._post_once(url, content_type, body)
            except ProviderError as exc:
                self._log_failure(path, attempt, exc, time.monotonic() - started)
                if not exc.transient or attempt > self.max_retries:
                    raise _with_attempts(exc, attempt)
                self._backoff(attempt)
                continue
            logger.info(
                "Provider %s attempt %d: code 200 in %.2fs.",
                path,
                attempt,
                time.monotonic() - started,
            )
            return replace(result, attempts=attempt)

    def _post_once(self, url: str, content_type: str, body: bytes) -> ProviderResult:
        headers = {
            "Authorization": f"Bearer {self._api_key}",
            "Accept": "application/json",
            "Content-Type": content_type,
        }
        try:
            response = self._http.post(url, content=body, headers=headers)
        except _MAYBE_DELIVERED_ERRORS as exc:
            raise ProviderNoAnswerError(
                f"The provider at {_redact_url(self.base_url)} did not answer "
                f"({type(exc).__name__}); the call may have been charged, so it is not "
                "repeated."
            ) from exc
        except _TRANSIENT_TRANSPORT_ERRORS as exc:
            raise TransientProviderError(
                f"Could not get an answer from the provider at {_redact_url(self.base_url)}: "
                f"{type(exc).__name__}: {self._scrub(str(exc))}"
            ) from exc
        except httpx.HTTPError as exc:
            raise ProviderError(
                f"The request to the provider at {_redact_url(self.base_url)} failed: "
                f"{type(exc).__name__}: {self._scrub(str(exc))}"
            ) from exc
        return self._parse_response(response)

    def _parse_response(self, response: httpx.Response) -> ProviderResult:
        status = response.status_code
        body = _json_object(response)
        code = _body_code(body) if body is not None else None
        if code is None:
            # No usable JSON: all we have is the HTTP status.
            self._raise_for_status_only(response, body is not None)
        if code != 200:
            raise error_for_code(code, self._snippet(_body_msg(body)), status)
        if not 200 <= status < 300:
            # A success code under an error status: trust neither.
            self._raise_for_status_only(response, True)
        return self._parse_success(body or {}, status)

    def _raise_for_status_only(self, response: httpx.Response, is_json: bool) -> NoReturn:
        status = response.status_code
        what = "an answer without a result code" if is_json else "a body that is not JSON"
        message = (
            f"The provider answered HTTP {status} with {what}: {self._snippet(response.text)!r}"
        )
        if status >= 500:
            raise TransientProviderError(message, status_code=status)
        if status in (401, 403):
            raise ProviderConfigurationError(
                message + " Check TRYON['API_KEY'].", status_code=status
            )
        raise ProviderResponseError(message, status_code=status)

    def _parse_success(self, body: dict[str, Any], status: int) -> ProviderResult:
        data = body.get("data")
        if not isinstance(data, dict):
            raise ProviderResponseError(
                "The provider reported success but sent no 'data' object.", status_code=status
            )
        result_url = data.get("resultImgUrl")
        if not isinstance(result_url, str) or not _is_http_url(result_url):
            raise ProviderResponseError(
                "The provider reported success without an http(s) 'resultImgUrl'.",
                status_code=status,
            )
        mask_url = data.get("maskImgUrl")
        if mask_url is not None and not (isinstance(mask_url, str) and _is_http_url(mask_url)):
            # The mask is a by-product: a paid result is not thrown away for it.
            logger.warning("Ignoring a 'maskImgUrl' that is not an http(s) URL.")
            mask_url = None
        seed = data.get("seed")
        return ProviderResult(
            result_url=result_url,
            mask_url=mask_url,
            seed=seed if isinstance(seed, int) and not isinstance(seed, bool) else None,
            cache_hit=data.get("cacheHit") is True,
        )

    # -- helpers ---------------------------------------------------------------------------

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

    def _scrub(self, text: str) -> str:
        """``text`` without the key or the base URL's credentials, whatever produced it."""
        # A very short key (tests) would mangle every message; real keys are long.
        if len(self._api_key) >= 6:
            text = text.replace(self._api_key, "***")
        userinfo = urlsplit(self.base_url).netloc.rpartition("@")[0]
        return text.replace(userinfo, "***") if userinfo else text

    def _snippet(self, text: str) -> str:
        text = self._scrub(text.strip())
        if len(text) > _SNIPPET_CHARS:
            return text[:_SNIPPET_CHARS] + "…"
        return text


class _RetryableDownload(Exception):
    """A download failure worth another GET (internal)."""


# -- validation and encoding -------------------------------------------------------------


def _invalid(message: str) -> NoReturn:
    raise ProviderInvalidInputError(message)


def _with_attempts(exc: ProviderError, attempts: int) -> ProviderError:
    # Callers count paid calls from this, failed ones included.
    exc.attempts = attempts  # type: ignore[attr-defined]
    return exc


def _validated_base_url(base_url: str) -> str:
    if not isinstance(base_url, str) or not _is_http_url(base_url.strip()):
        raise TryOnConfigurationError(
            "TRYON['API_BASE_URL'] must be an http(s) URL such as 'https://changeclothesai.online'."
        )
    return base_url.strip().rstrip("/")


def _validated_category(category: str) -> str:
    if category not in CATEGORIES:
        _invalid(f"category must be one of {', '.join(CATEGORIES)}; got {category!r}.")
    return category


def _prompt_fields(
    model_image: str | bytes,
    prompt: str,
    seed: int | None,
    randomize_seed: bool | None,
    guidance_scale: float | None,
    num_inference_steps: int | None,
) -> dict[str, _FormValue]:
    if not isinstance(prompt, str) or not prompt.strip():
        _invalid("prompt must be a non-empty string.")
    fields: dict[str, _FormValue] = {
        "modelImg": _image_value(model_image, "modelImg", "model"),
        "prompt": prompt.strip(),
    }
    if seed is not None:
        fields["seed"] = str(_validated_int(seed, "seed", SEED_MIN, SEED_MAX))
    if randomize_seed is not None:
        if not isinstance(randomize_seed, bool):
            _invalid("randomize_seed must be True or False.")
        fields["randomize_seed"] = "true" if randomize_seed else "false"
    if guidance_scale is not None:
        fields["guidance_scale"] = _validated_number(guidance_scale, "guidance_scale")
    if num_inference_steps is not None:
        low, high = INFERENCE_STEPS_RANGE
        fields["num_inference_steps"] = str(
            _validated_int(num_inference_steps, "num_inference_steps", low, high)
        )
    return fields


def _validated_int(value: object, name: str, low: int, high: int) -> int:
    # bool is an int subclass; True as a seed is a bug, not 1.
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        _invalid(f"{name} must be an integer from {low} to {high}; got {value!r}.")
    return value


def _validated_number(value: object, name: str) -> str:
    low, high = GUIDANCE_SCALE_RANGE
    if (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or not math.isfinite(value)
        or not low <= value <= high
    ):
        _invalid(f"{name} must be a number from {low} to {high}; got {value!r}.")
    if isinstance(value, float) and not value.is_integer():
        return repr(value)
    return str(int(value))


def _image_value(image: object, field: str, stem: str) -> _FormValue:
    """The form value for an image: a URL or data URI as text, bytes as a file part."""
    if isinstance(image, bytes | bytearray):
        content = bytes(image)
        kind = sniff_image_type(content)
        if kind is None:
            _invalid(f"{field}: the bytes are not a JPEG, PNG, WebP, GIF or BMP image.")
        mime, extension = kind
        return _FilePart(f"{stem}.{extension}", mime, content)
    if isinstance(image, str):
        value = image.strip()
        if value[:5].lower() == "data:":
            _validate_data_uri(value, field)
            return value
        if _is_http_url(value):
            return value
        _invalid(f"{field} must be an http(s) URL, a data:image/...;base64 URI or image bytes.")
    _invalid(f"{field} must be a str (URL or data URI) or bytes, not {type(image).__name__}.")


def _validate_data_uri(value: str, field: str) -> None:
    match = _DATA_URI_RE.match(value)
    if match is None:
        _invalid(f"{field}: a data URI must look like data:image/<type>;base64,<data>.")
    payload = re.sub(r"\s+", "", match["payload"])
    try:
        decoded = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        _invalid(f"{field}: the data URI's base64 payload is not valid base64.")
    if not decoded:
        _invalid(f"{field}: the data URI is empty.")


def encode_multipart(fields: Mapping[str, _FormValue]) -> tuple[str, bytes]:
    """``(Content-Type header, body)`` of a ``multipart/form-data`` request.

    Built by hand because httpx sends a form without files as urlencoded, and the
    provider documents multipart for every request, URL-only ones included.
    """
    boundary = secrets.token_hex(16)
    while any(boundary.encode() in _part_bytes(value) for value in fields.values()):
        boundary = secrets.token_hex(16)  # practically never: 128 random bits
    lines: list[bytes] = []
    for name, value in fields.items():
        disposition = f'form-data; name="{name}"'
        headers = []
        if isinstance(value, _FilePart):
            disposition += f'; filename="{value.filename}"'
            headers.append(f"Content-Type: {value.content_type}")
        head = "\r\n".join([f"Content-Disposition: {disposition}", *headers])
        lines.append(f"--{boundary}\r\n{head}\r\n\r\n".encode())
        lines.append(_part_bytes(value) + b"\r\n")
    lines.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(lines)


def _part_bytes(value: _FormValue) -> bytes:
    return value.content if isinstance(value, _FilePart) else value.encode("utf-8")


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle takes tens of milliseconds: do it once per process, not per
    # client (a backend, and so a client, is built for every job).
    return httpx.create_ssl_context()


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        return None
    return body if isinstance(body, dict) else None


def _body_code(body: dict[str, Any]) -> int | None:
    code = body.get("code")
    if isinstance(code, bool):
        return None
    if isinstance(code, int):
        return code
    if isinstance(code, str) and code.strip().isdigit():
        return int(code)
    return None


def _body_msg(body: dict[str, Any] | None) -> str:
    msg = (body or {}).get("msg")
    return msg if isinstance(msg, str) else ""


def _is_http_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _redact_url(url: str, *, drop_query: bool = False) -> str:
    """``url`` without user:password (and without the query, which may hold a token)."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    query = "" if drop_query else parts.query
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
