"""The widget's waiting, in a real browser: it follows the server's hints, survives a
dropped connection, gives up on a job that never ends, and stays within its request bound.

Debian's chromium, driven by Playwright, on the example shop (``tests.browser_support``).
Most tests answer the API themselves (``page.route``) and drive the page's clock
(``page.clock``), so what is checked is the widget's behaviour, never a timing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.browser_support import BROWSER_TEST, Shop, serve_example_shop

pytestmark = BROWSER_TEST

PRODUCT = "/products/red-t-shirt/"
TRYON_URL = "/tryon/api/tryons/00000000-0000-0000-0000-000000000001/"
MAX_REQUESTS = 20  # the widget's bound per try-on (POLL.maxRequests)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    with serve_example_shop(tmp_path_factory.mktemp("shop")) as served:
        yield served


class Api:
    """Answers the widget's API calls in place of the server, and records them."""

    def __init__(self, page: Any, picture: str) -> None:
        self.page = page
        self.picture = picture  # a real image URL of the shop, for the "result"
        self.requests: list[tuple[str, float]] = []  # (method, page clock in ms)
        self.looks: list[Callable[[Any], None]] = []  # how to answer each GET, in turn
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.route("**/tryon/api/tryons/**", self._handle)

    def resource(self, status: str, **fields: Any) -> dict[str, Any]:
        body = {
            "id": TRYON_URL.rstrip("/").rsplit("/", 1)[1],
            "url": TRYON_URL,
            "status": status,
            "model_image_url": self.picture,
            "result_url": self.picture if status == "succeeded" else None,
            "is_preview": False,
            "error": None,
            "poll_after_ms": None,
            "eta_seconds": None,
        }
        body.update(fields)
        return body

    def answer(self, status: str, **fields: Any) -> Callable[[Any], None]:
        body = json.dumps(self.resource(status, **fields))
        return lambda route: route.fulfill(status=200, content_type="application/json", body=body)

    def _handle(self, route: Any) -> None:
        method = route.request.method
        self.requests.append((method, self.page_clock()))
        if method == "POST":
            return route.fulfill(
                status=202,
                content_type="application/json",
                body=json.dumps(self.resource("pending", poll_after_ms=2000, eta_seconds=8)),
            )
        looks = [m for m, _ in self.requests if m == "GET"]
        answer = self.looks[min(len(looks), len(self.looks)) - 1]
        return answer(route)

    def page_clock(self) -> float:
        return float(self.page.evaluate("() => Date.now()"))

    def gets(self) -> list[float]:
        return [at for method, at in self.requests if method == "GET"]


@pytest.fixture
def page(browser: Any, shop: Shop) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 1000}, base_url=shop.base_url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.clock.install()
    page.goto(PRODUCT)
    picture = page.locator(".tryon-model img").first.evaluate("img => img.src")
    # From here on the page's time moves only when a test says (advance()).
    page.clock.pause_at(int(page.evaluate("() => Date.now()")) + 1000)
    page.api = Api(page, picture)
    yield page
    context.close()
    assert page.api.errors == [], f"errors in the page: {page.api.errors}"


def submit(page: Any) -> Any:
    page.get_by_role("button", name="Try it on").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Create my try-on").click()
    settle(page, lambda: len(page.api.requests) >= 1)
    return dialog


def settle(page: Any, condition: Callable[[], bool], seconds: float = 30) -> None:
    """Wait (real time, generously: CI machines are busy) until the page has done what
    ``condition`` checks."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the page did not get there"
        page.wait_for_timeout(20)


def advance(page: Any, ms: int) -> None:
    page.clock.run_for(ms)
    page.wait_for_timeout(50)  # let a request it started reach the route handler


def test_the_widget_looks_again_when_the_server_says_and_shows_the_eta(page):
    api = page.api
    api.looks = [api.answer("running", poll_after_ms=3000, eta_seconds=3), api.answer("succeeded")]
    dialog = submit(page)
    eta = dialog.locator("[data-tryon-eta]")
    settle(page, lambda: "8 s" in eta.inner_text())
    assert eta.inner_text() == "Ready in about 8 s."
    assert dialog.locator("[data-tryon-bar]").evaluate("bar => bar.hasAttribute('value')")

    advance(page, 1900)  # the answer said 2000 ms: nothing yet
    assert api.gets() == []
    advance(page, 200)
    settle(page, lambda: len(api.gets()) == 1)
    assert "Creating your try-on" in dialog.locator("[data-tryon-status]").inner_text()

    advance(page, 2800)  # then 3000 ms
    assert len(api.gets()) == 1
    advance(page, 300)
    settle(page, lambda: len(api.gets()) == 2)
    dialog.locator("[data-tryon-after]").wait_for(state="visible")
    assert dialog.locator("[data-tryon-after]").evaluate("img => img.complete && img.naturalWidth")


def test_a_hint_of_a_few_milliseconds_is_not_obeyed_beyond_the_widgets_bounds(page):
    api = page.api
    api.looks = [api.answer("running", poll_after_ms=1, eta_seconds=0)]
    submit(page)
    for _ in range(12):
        advance(page, 250)
    # The first look when the POST's answer said (2 s), then a burst of two, then on
    # average at most one a second: not one every millisecond.
    assert 2 <= len(api.gets()) <= 2 + 3


def test_a_dropped_connection_while_waiting_is_retried_and_the_wait_goes_on(page):
    api = page.api
    api.looks = [
        lambda route: route.abort("connectionreset"),
        lambda route: route.abort("internetdisconnected"),
        api.answer("running", poll_after_ms=500, eta_seconds=1),
        api.answer("succeeded"),
    ]
    dialog = submit(page)
    eta = dialog.locator("[data-tryon-eta]")
    # The page's clock only moves when the test moves it; on a busy machine the aborted
    # look may be answered after a step, so step until the shopper is told.
    for _ in range(20):
        advance(page, 250)
        if api.gets() and eta.inner_text() == "Connection lost. Trying again…":
            break
    assert eta.inner_text() == "Connection lost. Trying again…"
    for _ in range(20):
        if dialog.locator("[data-tryon-after]").is_visible():
            break
        advance(page, 500)
    dialog.locator("[data-tryon-after]").wait_for(state="visible")
    assert len(api.gets()) == 4
    assert not dialog.get_by_role("alert").is_visible()


def test_a_job_that_never_ends_stops_the_waiting_with_a_clear_message(page):
    api = page.api
    api.looks = [api.answer("running", poll_after_ms=100, eta_seconds=0)]
    dialog = submit(page)
    alert = dialog.get_by_role("alert")
    for _ in range(200):
        if alert.is_visible():
            break
        advance(page, 1000)
    assert "taking longer than expected" in alert.inner_text()
    assert len(api.requests) == MAX_REQUESTS  # the POST and 19 looks, then it stopped
    advance(page, 60_000)
    assert len(api.requests) == MAX_REQUESTS
    assert dialog.get_by_role("button", name="Create my try-on").is_visible()  # can try again


def test_a_server_that_gives_no_hint_is_polled_with_a_backoff(page):
    api = page.api
    api.looks = [api.answer("running")] * 3 + [api.answer("succeeded")]
    dialog = submit(page)
    for _ in range(40):
        if dialog.locator("[data-tryon-after]").is_visible():
            break
        advance(page, 500)
    dialog.locator("[data-tryon-after]").wait_for(state="visible")
    looks = api.gets()
    assert len(looks) == 4
    assert looks[2] - looks[1] > looks[1] - looks[0]  # backing off


def test_one_real_tryon_stays_within_the_request_bound(browser, shop):
    context = browser.new_context(base_url=shop.base_url)
    try:
        page = context.new_page()
        api_calls: list[str] = []
        page.on(
            "request",
            lambda request: api_calls.append(request.method) if "/tryon/api/" in request.url else 0,
        )
        answers: list[dict[str, Any]] = []
        page.on(
            "response",
            lambda response: (
                answers.append(dict(response.headers))
                if "/tryon/api/tryons/" in response.url
                else None
            ),
        )
        page.goto(PRODUCT)
        page.get_by_role("button", name="Try it on").click()
        dialog = page.get_by_role("dialog")
        dialog.locator("input[name=model]:not([value=upload])").last.check()
        dialog.get_by_role("button", name="Create my try-on").click()
        dialog.locator("[data-tryon-after]").wait_for(state="visible", timeout=30_000)
        assert 1 <= len(api_calls) <= MAX_REQUESTS
        assert api_calls[0] == "POST"
        assert "x-poll-after-ms" in answers[0]  # the 202 said when to look
    finally:
        context.close()
