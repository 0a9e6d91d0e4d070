"""``FakeChangeClothesServer``: the threaded loopback HTTP server, what it records, and the
knobs that make it slow or failing; plus the request handler that answers over HTTP.
"""

from __future__ import annotations

import json
import logging
import secrets
import sys
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from PIL import Image

from .answers import Planned, Style, error_answer, exact_answer, success_answer
from .images import result_pictures
from .multipart import parse_into
from .records import RecordedHeaders, RecordedRequest
from .validation import InvalidParam, validate

# The name shops configure logging with; it predates the package split.
logger = logging.getLogger("tryon.testing")

_MAX_BODY_BYTES = 64 * 1024 * 1024


class FakeChangeClothesServer:
    """A loopback stand-in for the Change Clothes AI API (see ``tryon.testing``'s docstring).

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
        self._plan: deque[Planned] = deque()
        self._always: Planned | None = None
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
        self._queue(error_answer(code, style, msg), times)

    def fail_always(self, code: int, style: Style = "body", msg: str | None = None) -> None:
        """Answer every API call with error ``code`` (after anything queued)."""
        with self._lock:
            self._always = error_answer(code, style, msg)

    def fail_next_non_json(
        self,
        status: int = 502,
        times: int = 1,
        body: str = "<html><body>Bad Gateway</body></html>",
    ) -> None:
        """Answer the next ``times`` API calls with an HTML page, as a broken proxy would."""
        self._queue(exact_answer(body, status, "text/html; charset=utf-8"), times)

    def respond_next(
        self,
        body: dict[str, Any] | str | bytes,
        status: int = 200,
        times: int = 1,
        content_type: str | None = None,
    ) -> None:
        """Answer the next ``times`` API calls with exactly this (to test odd answers)."""
        self._queue(exact_answer(body, status, content_type), times)

    def drop_connection_next(self, times: int = 1) -> None:
        """Read the next ``times`` API calls, then hang up without an answer."""
        self._queue(Planned("drop"), times)

    def hang_next(self, seconds: float, times: int = 1) -> None:
        """Wait ``seconds`` (on top of ``latency``) before handling the next API calls."""
        self._queue(Planned("hang", seconds=seconds), times)

    def reset_failures(self) -> None:
        """Forget every queued behaviour and ``fail_always``."""
        with self._lock:
            self._plan.clear()
            self._always = None

    def _queue(self, planned: Planned, times: int) -> None:
        with self._lock:
            self._plan.extend([planned] * times)

    def _next_planned(self) -> Planned | None:
        with self._lock:
            return self._plan.popleft() if self._plan else self._always

    # -- request handling (called from the server's threads) -----------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    def _handle_api(self, request: RecordedRequest, content_type: str) -> Planned:
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
            return Planned("drop")
        auth_error = self._auth_error(request.header("Authorization"))
        if auth_error is not None:
            return error_answer(auth_error, self.error_style, None)
        try:
            images = validate(request, content_type)
        except InvalidParam as exc:
            request.error = str(exc)
            return error_answer(10004, self.error_style, None)
        return self._success(request, images)

    def _auth_error(self, authorization: str | None) -> int | None:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return 10001
        if not secrets.compare_digest(token.strip().encode(), self.api_key.encode()):
            return 30001
        return None

    def _success(self, request: RecordedRequest, images: dict[str, Image.Image | None]) -> Planned:
        result, mask = result_pictures(request, images)
        result_id = f"{time.time_ns()}{secrets.randbelow(1000):03d}"
        result_path, mask_path = f"/results/{result_id}.webp", f"/results/{result_id}-mask.webp"
        with self._lock:
            self._results[result_path] = result
            self._results[mask_path] = mask
        return success_answer(
            request, self.base_url + result_path, self.base_url + mask_path, self.cache_hit
        )

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
        parse_into(request, content_type)
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
