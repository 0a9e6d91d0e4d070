"""A local, faithful fake of the Change Clothes AI API, for tests (ours and the shop's).

``FakeChangeClothesServer`` is a real HTTP server on ``127.0.0.1`` (an ephemeral port, a
background thread) that speaks the provider's wire format as documented: both POST
endpoints, Bearer authentication, ``multipart/form-data`` with every field validated,
WebP results served from its own ``/results/`` URLs. It records each request and can be
told to be slow, to fail with any documented code, to answer garbage, or to hang up.

Use it in a shop's own tests::

    from django.test import override_settings
    from tryon.testing import FakeChangeClothesServer

    def test_try_on_page(client):
        with FakeChangeClothesServer(api_key="test-key") as fake:
            with override_settings(TRYON={
                "API_BASE_URL": fake.base_url,
                "API_KEY": fake.api_key,
                "RETRY_BACKOFF": 0,
            }):
                ...  # run the try-on (e.g. the task) as the shop does
            assert fake.call_count == 1
            assert fake.calls()[0].fields["category"] == "upper_body"

            fake.fail_next(10003)  # the next call: out of credits
            fake.fail_always(500, style="status")  # every call: HTTP 500
            fake.reset_failures()

Decisions the provider's document leaves open, as this fake implements them:

- Errors are answered in the *body* by default (HTTP 200 with ``{"code": N, "msg": ...}``),
  as the document's examples show codes in the body. ``error_style="status"`` (or
  ``style="status"`` on ``fail_next``) answers the same JSON under an HTTP error status:
  the code itself when it is an HTTP status (500), else 10001/10002/30001/30002 -> 401,
  10003/10006 -> 402, 10004 -> 400, 10005 -> 422, 20001 -> 500 (``status_for_code``).
- A missing or non-Bearer ``Authorization`` is 10001 NOT_LOGIN; a wrong key is 30001
  INVALID_API_KEY. Authentication is checked before the fields.
- The fake is strict, so that a client's mistakes show up in tests: an unknown field, a
  field sent twice, a text field sent as a file, an empty ``garmentDesc`` (the document
  says to omit it) and a body that is not ``multipart/form-data`` are all 10004
  INVALID_PARAM. The reason is kept in ``RecordedRequest.error``.
- An image field is accepted as an http(s) URL (not fetched), a ``data:image/...;base64``
  URI that Pillow can decode, or a file part that Pillow can decode.
- Queued behaviours (``fail_next``, ``fail_next_non_json``, ``respond_next``,
  ``drop_connection_next``, ``hang_next``) are consumed in order, one per API call,
  before authentication; every API call, failed or not, is recorded.
"""

from __future__ import annotations

import base64
import binascii
import email.message
import email.parser
import email.policy
import hashlib
import io
import json
import logging
import random
import re
import secrets
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, overload
from urllib.parse import urlsplit

from PIL import Image, ImageDraw

__all__ = [
    "CHANGE_CLOTHES_BY_PROMPT_PATH",
    "CHANGE_CLOTHES_PATH",
    "ERROR_MESSAGES",
    "FakeChangeClothesServer",
    "RecordedFile",
    "RecordedHeaders",
    "RecordedRequest",
    "status_for_code",
]

logger = logging.getLogger("tryon.testing")

CHANGE_CLOTHES_PATH = "/api/openapi/change-clothes-ai"
CHANGE_CLOTHES_BY_PROMPT_PATH = "/api/openapi/change-clothes-by-prompt"
_ENDPOINTS = {
    CHANGE_CLOTHES_PATH: "change-clothes-ai",
    CHANGE_CLOTHES_BY_PROMPT_PATH: "change-clothes-by-prompt",
}

# The document's ``msg`` for each code.
ERROR_MESSAGES: dict[int, str] = {
    200: "OK",
    500: "SERVER_ERROR",
    10001: "NOT_LOGIN",
    10002: "USER_NOT_EXIST",
    10003: "INSUFFICIENT_CREDITS",
    10004: "INVALID_PARAM",
    10005: "HARMFUL_CONTENT",
    10006: "INSUFFICIENT_TRAIL_COUNT",
    20001: "TRY_ON_EXCEPTION",
    30001: "INVALID_API_KEY",
    30002: "INVALID_SIGNATURE",
}

_STATUS_FOR_CODE = {
    10001: 401,
    10002: 401,
    30001: 401,
    30002: 401,
    10003: 402,
    10006: 402,
    10004: 400,
    10005: 422,
    20001: 500,
}

_FIELDS = {
    CHANGE_CLOTHES_PATH: {"modelImg", "garmentImg", "category", "garmentDesc"},
    CHANGE_CLOTHES_BY_PROMPT_PATH: {
        "modelImg",
        "prompt",
        "seed",
        "randomize_seed",
        "guidance_scale",
        "num_inference_steps",
    },
}
_IMAGE_FIELDS = {"modelImg", "garmentImg"}
_CATEGORIES = ("upper_body", "lower_body", "dresses")
_SEED_MAX = 2_147_483_647
_MAX_BODY_BYTES = 64 * 1024 * 1024
_DATA_URI_RE = re.compile(r"^data:image/[A-Za-z0-9][A-Za-z0-9.+-]*;base64,(.*)$", re.DOTALL)
_NUMBER_RE = re.compile(r"^[0-9]+(\.[0-9]+)?$")

Style = Literal["body", "status"]


def status_for_code(code: int) -> int:
    """The HTTP status the fake uses for ``code`` in the "status" error style."""
    if 100 <= code <= 599:
        return code
    return _STATUS_FOR_CODE.get(code, 400)


class _InvalidParam(Exception):
    """A field breaks the document: answered as 10004 INVALID_PARAM."""


# -- what is recorded ----------------------------------------------------------------------


class RecordedHeaders(Mapping[str, str]):
    """Request headers, looked up case-insensitively (names are kept lower-cased)."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._headers = {name.lower(): value for name, value in items}

    def __getitem__(self, name: str) -> str:
        return self._headers[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._headers)

    def __len__(self) -> int:
        return len(self._headers)

    def __repr__(self) -> str:
        return f"RecordedHeaders({self._headers!r})"


@dataclass(frozen=True)
class RecordedFile:
    """A file part of a multipart request."""

    filename: str
    content_type: str | None
    content: bytes


@dataclass
class RecordedRequest:
    """One request the fake received, and what it answered."""

    method: str
    path: str
    headers: RecordedHeaders
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, RecordedFile] = field(default_factory=dict)
    received_at: float = 0.0  # time.time()
    body: bytes = b""
    latency: float = 0.0  # seconds the fake waited before answering
    status: int | None = None  # HTTP status answered; None when the connection was dropped
    code: int | None = None  # the body's code, when the answer was the provider's JSON
    error: str = ""  # why a request was answered 10004

    @overload
    def header(self, name: str) -> str | None: ...

    @overload
    def header(self, name: str, default: str) -> str: ...

    def header(self, name: str, default: str | None = None) -> str | None:
        """A request header, looked up case-insensitively (as ``headers`` also is)."""
        return self.headers.get(name, default)

    @property
    def endpoint(self) -> str | None:
        """``"change-clothes-ai"`` or ``"change-clothes-by-prompt"``; None for other paths."""
        return _ENDPOINTS.get(self.path)


@dataclass(frozen=True)
class _Planned:
    """One queued behaviour for an API call."""

    kind: Literal["answer", "drop", "hang"]
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    code: int | None = None
    seconds: float = 0.0


# -- the server ----------------------------------------------------------------------------


class FakeChangeClothesServer:
    """A loopback stand-in for the Change Clothes AI API (see the module docstring).

    Knobs (safe to set from the test thread while the server runs):

    - ``latency``: seconds every API call waits before it is answered.
    - ``error_style``: ``"body"`` (default) or ``"status"`` for the fake's own errors
      (authentication and validation).
    - ``result_status``: HTTP status of every ``/results/...`` GET (200 serves the image).
    - ``cache_hit``: the ``cacheHit`` the garment endpoint reports.
    """

    def __init__(
        self,
        api_key: str = "fake-api-key",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        error_style: Style = "body",
    ) -> None:
        self.api_key = api_key
        self.host = host
        self.port = port
        self.error_style: Style = error_style
        self.latency: float = 0.0
        self.result_status: int = 200
        self.cache_hit: bool = False
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._plan: deque[_Planned] = deque()
        self._always: _Planned | None = None
        self._results: dict[str, bytes] = {}
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> FakeChangeClothesServer:
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server((self.host, self.port), _Handler, self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"FakeChangeClothesServer:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()  # wakes handlers sleeping on latency or hang_next
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeChangeClothesServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<FakeChangeClothesServer {self.base_url if self._server else 'stopped'}>"

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("The fake server is not running: call start() or use `with`.")
        return f"http://{self.host}:{self.port}"

    # -- what happened -------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received, GETs of results included, oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    def calls(self, endpoint: str | None = None) -> list[RecordedRequest]:
        """The POSTs to the API endpoints (paid calls), optionally of one endpoint.

        ``endpoint`` is ``"change-clothes-ai"``, ``"change-clothes-by-prompt"`` or a path.
        """
        return [
            request
            for request in self.requests
            if request.method == "POST"
            and request.endpoint is not None
            and endpoint in (None, request.endpoint, request.path)
        ]

    @property
    def call_count(self) -> int:
        return len(self.calls())

    @property
    def results(self) -> dict[str, bytes]:
        """The images generated so far, by path (``/results/<id>.webp``)."""
        with self._lock:
            return dict(self._results)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    # -- behaviour knobs -----------------------------------------------------------------

    def fail_next(
        self, code: int, times: int = 1, style: Style = "body", msg: str | None = None
    ) -> None:
        """Answer the next ``times`` API calls with error ``code``.

        ``style="body"``: HTTP 200 and ``{"code": code, "msg": ...}``; ``"status"``: the same
        JSON under ``status_for_code(code)``.
        """
        self._queue(self._error_answer(code, style, msg), times)

    def fail_always(self, code: int, style: Style = "body", msg: str | None = None) -> None:
        """Answer every API call with error ``code`` (after anything queued)."""
        with self._lock:
            self._always = self._error_answer(code, style, msg)

    def fail_next_non_json(
        self,
        status: int = 502,
        times: int = 1,
        body: str = "<html><body>Bad Gateway</body></html>",
    ) -> None:
        """Answer the next ``times`` API calls with an HTML page, as a broken proxy would."""
        planned = _Planned(
            "answer", status=status, body=body.encode(), content_type="text/html; charset=utf-8"
        )
        self._queue(planned, times)

    def respond_next(
        self,
        body: dict[str, Any] | str | bytes,
        status: int = 200,
        times: int = 1,
        content_type: str | None = None,
    ) -> None:
        """Answer the next ``times`` API calls with exactly this (to test odd answers)."""
        if isinstance(body, dict):
            raw, default_type = json.dumps(body).encode(), "application/json"
        else:
            raw = body.encode() if isinstance(body, str) else body
            default_type = "text/plain; charset=utf-8"
        code = body.get("code") if isinstance(body, dict) else None
        planned = _Planned(
            "answer",
            status=status,
            body=raw,
            content_type=content_type or default_type,
            code=code if isinstance(code, int) else None,
        )
        self._queue(planned, times)

    def drop_connection_next(self, times: int = 1) -> None:
        """Read the next ``times`` API calls, then hang up without an answer."""
        self._queue(_Planned("drop"), times)

    def hang_next(self, seconds: float, times: int = 1) -> None:
        """Wait ``seconds`` (on top of ``latency``) before handling the next API calls."""
        self._queue(_Planned("hang", seconds=seconds), times)

    def reset_failures(self) -> None:
        """Forget every queued behaviour and ``fail_always``."""
        with self._lock:
            self._plan.clear()
            self._always = None

    def _queue(self, planned: _Planned, times: int) -> None:
        with self._lock:
            self._plan.extend([planned] * times)

    def _next_planned(self) -> _Planned | None:
        with self._lock:
            return self._plan.popleft() if self._plan else self._always

    def _error_answer(self, code: int, style: Style, msg: str | None) -> _Planned:
        if style not in ("body", "status"):
            raise ValueError(f"style must be 'body' or 'status', not {style!r}")
        status = status_for_code(code) if style == "status" else 200
        text = msg if msg is not None else ERROR_MESSAGES.get(code, "ERROR")
        payload = {"code": code, "msg": text}
        return _Planned("answer", status=status, body=json.dumps(payload).encode(), code=code)

    # -- request handling (called from the server's threads) -----------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    def _handle_api(self, request: RecordedRequest, content_type: str) -> _Planned:
        """What to answer an API call (the request is already recorded)."""
        request.latency = self.latency
        self._sleep(request.latency)
        planned = self._next_planned()
        if planned is not None and planned.kind == "hang":
            request.latency += planned.seconds
            self._sleep(planned.seconds)
        elif planned is not None:
            return planned
        if self._stopping.is_set():
            # Woken by stop(): the test is over, nobody waits for this answer.
            return _Planned("drop")
        auth_error = self._auth_error(request.header("Authorization"))
        if auth_error is not None:
            return self._error_answer(auth_error, self.error_style, None)
        try:
            images = _validate(request, content_type)
        except _InvalidParam as exc:
            request.error = str(exc)
            return self._error_answer(10004, self.error_style, None)
        return self._success(request, images)

    def _auth_error(self, authorization: str | None) -> int | None:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return 10001
        if not secrets.compare_digest(token.strip().encode(), self.api_key.encode()):
            return 30001
        return None

    def _success(self, request: RecordedRequest, images: dict[str, Image.Image | None]) -> _Planned:
        fields = request.fields
        if request.path == CHANGE_CLOTHES_PATH:
            tint = _average_colour(images.get("garmentImg")) or _colour_for(fields["category"])
            region = fields["category"]
        else:
            tint, region = _colour_for(fields["prompt"]), "upper_body"
        result, mask = _render(images.get("modelImg"), tint, region)
        result_id = f"{time.time_ns()}{secrets.randbelow(1000):03d}"
        result_path, mask_path = f"/results/{result_id}.webp", f"/results/{result_id}-mask.webp"
        with self._lock:
            self._results[result_path] = result
            self._results[mask_path] = mask
        data: dict[str, Any] = {"resultImgUrl": self.base_url + result_path}
        if request.path == CHANGE_CLOTHES_PATH:
            data["maskImgUrl"] = self.base_url + mask_path
            data["cacheHit"] = self.cache_hit
        else:
            data["seed"] = _answer_seed(fields)
        body = {"code": 200, "msg": "OK", "data": data}
        return _Planned("answer", status=200, body=json.dumps(body).encode(), code=200)

    def _result(self, path: str) -> bytes | None:
        with self._lock:
            return self._results.get(path)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        fake: FakeChangeClothesServer,
    ) -> None:
        self.fake = fake
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            # A client that gave up (a read timeout in a test) is expected, not an error.
            logger.debug("Fake server: a client went away.", exc_info=True)
        else:
            logger.exception("Fake server: error while handling a request.")


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "FakeChangeClothes/1.0"
    timeout = 30  # a stuck client must not pin a thread forever

    def log_message(self, format: str, *args: Any) -> None:
        # Only the request line and status: never the headers (they hold the key).
        logger.debug("Fake server: " + format, *args)

    def _recorded(self, body: bytes = b"") -> RecordedRequest:
        return RecordedRequest(
            method=self.command,
            path=urlsplit(self.path).path,
            headers=RecordedHeaders(self.headers.items()),
            received_at=time.time(),
            body=body,
        )

    def do_GET(self) -> None:
        fake = self.server.fake
        request = self._recorded()
        fake._record(request)
        content = fake._result(request.path)
        status = fake.result_status if content is not None else 404
        request.status = status
        if status != 200 or content is None:
            self._send(status, b"Not Found", "text/plain; charset=utf-8")
            return
        self._send(200, content, "image/webp")

    def do_POST(self) -> None:
        fake = self.server.fake
        length = self.headers.get("Content-Length", "0")
        size = int(length) if length.isdigit() else 0
        if size > _MAX_BODY_BYTES:
            self.close_connection = True
            self._send(413, b"Request body too large", "text/plain; charset=utf-8")
            return
        body = self.rfile.read(size) if size else b""
        request = self._recorded(body)
        content_type = self.headers.get("Content-Type", "")
        _parse_into(request, content_type)
        fake._record(request)
        if request.endpoint is None:
            request.status, request.code = 404, 404
            self._send(404, json.dumps({"code": 404, "msg": "NOT_FOUND"}).encode())
            return
        planned = fake._handle_api(request, content_type)
        if planned.kind == "drop":
            # Hang up without a status line: the client sees a protocol error.
            self.close_connection = True
            return
        request.status, request.code = planned.status, planned.code
        self._send(planned.status, planned.body, planned.content_type)

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


# -- multipart parsing and validation ----------------------------------------------------


def _parse_into(request: RecordedRequest, content_type: str) -> None:
    """Fill ``request.fields`` and ``.files`` from a multipart body (best effort)."""
    boundary = _boundary(content_type)
    if boundary is None:
        return
    parts = _split_multipart(request.body, boundary)
    if parts is None:
        request.error = "the multipart body is malformed"
        return
    seen: set[str] = set()
    for name, filename, part_type, content in parts:
        if name in seen:
            request.error = request.error or f"the field {name!r} is sent more than once"
        seen.add(name)
        if filename is not None:
            request.files[name] = RecordedFile(filename, part_type, content)
        else:
            request.fields[name] = content.decode("utf-8", errors="replace")


def _boundary(content_type: str) -> str | None:
    message = email.message.Message()
    message["Content-Type"] = content_type
    if message.get_content_type() != "multipart/form-data":
        return None
    boundary = message.get_param("boundary")
    return boundary if isinstance(boundary, str) and boundary else None


def _split_multipart(
    body: bytes, boundary: str
) -> list[tuple[str, str | None, str | None, bytes]] | None:
    """``(name, filename, content type, content)`` per part; None when malformed."""
    delimiter = b"--" + boundary.encode("latin-1")
    chunks = body.split(delimiter)
    if len(chunks) < 2 or not chunks[-1].startswith(b"--"):
        return None
    parts = []
    header_parser = email.parser.BytesHeaderParser(policy=email.policy.HTTP)
    for chunk in chunks[1:-1]:
        if not (chunk.startswith(b"\r\n") and chunk.endswith(b"\r\n")):
            return None
        head, separator, content = chunk[2:-2].partition(b"\r\n\r\n")
        if not separator:
            return None
        headers = header_parser.parsebytes(head + b"\r\n\r\n")
        if headers.get_content_disposition() != "form-data":
            return None
        name = headers.get_param("name", header="content-disposition")
        if not isinstance(name, str) or not name:
            return None
        filename = headers.get_param("filename", header="content-disposition")
        part_type = headers.get("Content-Type")
        parts.append(
            (
                name,
                filename if isinstance(filename, str) else None,
                str(part_type) if part_type else None,
                content,
            )
        )
    return parts


def _validate(request: RecordedRequest, content_type: str) -> dict[str, Image.Image | None]:
    """Check a recorded call against the document; the decoded images by field name."""
    if _boundary(content_type) is None:
        raise _InvalidParam("the body is not multipart/form-data")
    if request.error:
        raise _InvalidParam(request.error)
    allowed = _FIELDS[request.path]
    sent = set(request.fields) | set(request.files)
    if unknown := sent - allowed:
        raise _InvalidParam(f"unknown fields: {', '.join(sorted(unknown))}")
    if misplaced := set(request.files) - _IMAGE_FIELDS:
        raise _InvalidParam(f"sent as files but are text fields: {', '.join(sorted(misplaced))}")
    required = _IMAGE_FIELDS & allowed
    images = {name: _image(request, name) for name in sorted(required)}
    if request.path == CHANGE_CLOTHES_PATH:
        _validate_garment_fields(request.fields)
    else:
        _validate_prompt_fields(request.fields)
    return images


def _validate_garment_fields(fields: dict[str, str]) -> None:
    if fields.get("category") not in _CATEGORIES:
        raise _InvalidParam(f"category must be one of {', '.join(_CATEGORIES)}")
    if "garmentDesc" in fields and not fields["garmentDesc"].strip():
        raise _InvalidParam("garmentDesc is sent empty (omit it instead)")


def _validate_prompt_fields(fields: dict[str, str]) -> None:
    if not fields.get("prompt", "").strip():
        raise _InvalidParam("prompt is required")
    if "seed" in fields:
        _check_int(fields["seed"], "seed", 0, _SEED_MAX)
    if "randomize_seed" in fields and fields["randomize_seed"] not in ("true", "false"):
        raise _InvalidParam("randomize_seed must be 'true' or 'false'")
    if "guidance_scale" in fields:
        value = fields["guidance_scale"]
        if not _NUMBER_RE.match(value) or not 1 <= float(value) <= 100:
            raise _InvalidParam("guidance_scale must be a number from 1 to 100")
    if "num_inference_steps" in fields:
        _check_int(fields["num_inference_steps"], "num_inference_steps", 1, 50)


def _check_int(value: str, name: str, low: int, high: int) -> None:
    if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
        raise _InvalidParam(f"{name} must be an integer from {low} to {high}")


def _image(request: RecordedRequest, name: str) -> Image.Image | None:
    """The decoded image of field ``name``; None for a URL (the fake does not fetch it)."""
    if name in request.files:
        return _open_image(request.files[name].content, name)
    value = request.fields.get(name)
    if value is None:
        raise _InvalidParam(f"{name} is required")
    value = value.strip()
    scheme = urlsplit(value).scheme.lower()
    if scheme in ("http", "https") and urlsplit(value).hostname:
        return None
    match = _DATA_URI_RE.match(value)
    if match is None:
        raise _InvalidParam(f"{name} must be an http(s) URL, a base64 data URI or a file")
    try:
        content = base64.b64decode(re.sub(r"\s+", "", match[1]), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _InvalidParam(f"{name}: the data URI is not valid base64") from exc
    return _open_image(content, name)


def _open_image(content: bytes, name: str) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(content))
        image.load()
    except Exception as exc:  # Pillow raises many types for bad data
        raise _InvalidParam(f"{name} is not an image Pillow can read") from exc
    return image


def _answer_seed(fields: dict[str, str]) -> int:
    # The document: the seed is ignored when randomize_seed is true.
    if fields.get("randomize_seed") != "true" and "seed" in fields:
        return int(fields["seed"])
    return random.randint(0, _SEED_MAX)


# -- the generated pictures ----------------------------------------------------------------

_REGIONS = {  # (top, bottom) of the "garment" as fractions of the height
    "upper_body": (0.2, 0.55),
    "lower_body": (0.5, 0.95),
    "dresses": (0.2, 0.9),
}


def _colour_for(text: str) -> tuple[int, int, int]:
    digest = hashlib.sha256(text.encode()).digest()
    return digest[0], digest[1], digest[2]


def _average_colour(image: Image.Image | None) -> tuple[int, int, int] | None:
    if image is None:
        return None
    pixel = image.convert("RGB").resize((1, 1)).getpixel((0, 0))
    assert isinstance(pixel, tuple)
    return pixel[0], pixel[1], pixel[2]


def _gradient(size: tuple[int, int] = (384, 512)) -> Image.Image:
    ramp = Image.linear_gradient("L").resize(size)
    flipped = ramp.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    return Image.merge("RGB", (ramp, flipped, Image.new("L", size, 160)))


def _render(
    model: Image.Image | None, tint: tuple[int, int, int], region: str
) -> tuple[bytes, bytes]:
    """A result (the model with a tinted "garment" area) and its mask, as WebP bytes."""
    base = model.convert("RGB") if model is not None else _gradient()
    base.thumbnail((512, 512))
    width, height = base.size
    top, bottom = _REGIONS.get(region, _REGIONS["upper_body"])
    box = (int(width * 0.2), int(height * top), int(width * 0.8), int(height * bottom))
    overlay = Image.new("RGBA", base.size, (0, 0, 0, 0))
    ImageDraw.Draw(overlay).rectangle(box, fill=(*tint, 200))
    result = Image.alpha_composite(base.convert("RGBA"), overlay).convert("RGB")
    mask_overlay = Image.new("RGBA", base.size, (0, 0, 0, 0))
    ImageDraw.Draw(mask_overlay).rectangle(box, fill=(255, 255, 255, 160))
    mask = Image.alpha_composite(base.convert("RGBA"), mask_overlay).convert("RGB")
    return _webp(result), _webp(mask)


def _webp(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="WEBP", quality=80, method=0)  # method 0: fastest encoder
    return out.getvalue()
