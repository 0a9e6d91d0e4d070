"""The shopper flow in a real browser: Debian's chromium, driven by Playwright, against
the example shop served on 127.0.0.1 (its own server process and db_worker, offline
preview backend). Screenshots go to ``artifacts/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import images
from tests.browser_support import ARTIFACTS, BROWSER_TEST, Shop, serve_example_shop

pytestmark = BROWSER_TEST

PRODUCT = "/products/red-t-shirt/"
DIALOG_NAME = "Try on: Red T-shirt"
RESULT_TIMEOUT = 20_000  # ms; the offline backend needs well under a second


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    with serve_example_shop(tmp_path_factory.mktemp("shop")) as served:
        yield served


class Recorder:
    """What the page did: its API requests, and any script error."""

    def __init__(self, page: Any) -> None:
        self.api_requests: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.expected_failures: set[str] = set()  # URL endings a test makes fail on purpose
        page.on("request", self._request)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("response", self._response)

    def _response(self, response: Any) -> None:
        # The example shop has no favicon; anything else failing is a bug.
        expected = ("/favicon.ico", *self.expected_failures)
        if response.status >= 400 and not response.url.endswith(expected):
            self.errors.append(f"{response.status} {response.request.method} {response.url}")

    def _request(self, request: Any) -> None:
        if "/tryon/api/" in request.url:
            self.api_requests.append((request.method, request.url))

    def posts(self) -> int:
        return sum(1 for method, _ in self.api_requests if method == "POST")


@pytest.fixture
def page(browser: Any, shop: Shop) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 1000}, base_url=shop.base_url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.recorder = Recorder(page)
    yield page
    context.close()
    assert page.recorder.errors == [], f"errors in the page: {page.recorder.errors}"


@pytest.fixture
def person_photo(tmp_path: Path) -> Path:
    path = tmp_path / "me.jpg"
    path.write_bytes(images.person_photo(600, 900))
    return path


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    assert path.stat().st_size > 0
    return path


def open_dialog(page: Any) -> Any:
    page.goto(PRODUCT)
    page.get_by_role("button", name="Try it on").click()
    dialog = page.get_by_role("dialog", name=DIALOG_NAME)
    dialog.wait_for(state="visible")
    return dialog


def wait_for_result(page: Any, dialog: Any) -> None:
    dialog.locator("[data-tryon-after]").wait_for(state="visible", timeout=RESULT_TIMEOUT)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-tryon-after], [data-tryon-before]')]"
        ".every(img => img.complete && img.naturalWidth > 0)",
        timeout=RESULT_TIMEOUT,
    )


def active_in_dialog(page: Any) -> bool:
    return bool(page.evaluate("() => !!document.activeElement.closest('dialog[open]')"))


def test_upload_a_photo_with_consent_and_see_the_before_after(page, shop, person_photo):
    dialog = open_dialog(page)
    assert page.locator("script[src$='tryon/widget.js']").count() == 1
    dialog.get_by_label("My own photo").check()
    dialog.get_by_label("Upload a photo").set_input_files(str(person_photo))
    consent = dialog.get_by_label("I agree that my photo is used to create this try-on.")
    assert not consent.is_checked()  # unticked by default
    assert "deleted after 24 hours" in dialog.locator(".tryon-privacy").inner_text()

    # Without consent: a plain message, focus on the checkbox, nothing sent.
    dialog.get_by_role("button", name="Create my try-on").click()
    assert "tick the box" in dialog.get_by_role("alert").inner_text()
    assert consent.evaluate("el => el === document.activeElement")
    assert page.recorder.posts() == 0

    consent.check()
    dialog.get_by_role("button", name="Create my try-on").click()
    wait_for_result(page, dialog)
    assert page.recorder.posts() == 1
    assert any(method == "GET" for method, _ in page.recorder.api_requests)  # it polled
    # Progress was shown while the job ran: the elapsed time was written.
    assert dialog.locator("[data-tryon-elapsed]").text_content().strip().endswith("s")

    after = dialog.locator("[data-tryon-after]")
    result_src = after.get_attribute("src")
    # A shopper's own picture: a signed, owner-only link, never a public media URL.
    assert result_src.startswith(shop.base_url + "/tryon/files/")
    assert "/tryon/files/" in dialog.locator("[data-tryon-before]").get_attribute("src")
    assert dialog.get_by_role("link", name="Download").get_attribute("href") == result_src
    assert dialog.get_by_text("Offline preview, composited without AI.").is_visible()

    # The before/after slider moves the split.
    slider = dialog.get_by_label("Compare before and after")
    slider.fill("20")
    assert (
        dialog.locator("[data-tryon-compare]").evaluate(
            "el => el.style.getPropertyValue('--tryon-split')"
        )
        == "20%"
    )
    slider.fill("50")
    path = screenshot(page, "tryon-upload-result.png")
    assert path.exists()

    # "Try another" goes back to the form.
    dialog.get_by_role("button", name="Try another").click()
    assert dialog.get_by_role("button", name="Create my try-on").is_visible()


def test_preset_model_then_delete(page, shop):
    dialog = open_dialog(page)
    presets = dialog.locator("input[name=model]:not([value=upload])")
    assert presets.count() >= 1
    assert presets.first.is_checked()  # a preset is chosen by default
    assert dialog.locator("[data-tryon-upload]").is_hidden()
    presets.nth(presets.count() - 1).check()
    dialog.get_by_role("button", name="Create my try-on").click()
    wait_for_result(page, dialog)
    assert "/media/tryon/models/" in dialog.locator("[data-tryon-before]").get_attribute("src")
    screenshot(page, "tryon-preset-result.png")

    [tryon_url] = {url for method, url in page.recorder.api_requests if method == "GET"}
    assert page.request.get(tryon_url).json()["status"] == "succeeded"
    dialog.get_by_role("button", name="Delete").click()
    dialog.get_by_text("Your photo and try-on have been deleted.").wait_for()
    assert page.request.get(tryon_url).status == 404


def test_the_dialog_by_keyboard_alone(page, shop):
    page.goto(PRODUCT)
    opener = page.get_by_role("button", name="Try it on")
    for _ in range(40):  # Tab through the page to the button
        page.keyboard.press("Tab")
        if opener.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail("the Try it on button cannot be reached with Tab")
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name=DIALOG_NAME)
    dialog.wait_for(state="visible")
    assert active_in_dialog(page)

    # Focus stays inside the dialog, forwards and backwards.
    for key in ["Tab"] * 15 + ["Shift+Tab"] * 15:
        page.keyboard.press(key)
        assert active_in_dialog(page), f"focus left the dialog after {key}"

    # Esc closes it and gives focus back to the button.
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert opener.evaluate("el => el === document.activeElement")

    # The whole try-on by keyboard: open, pick the second model with an arrow key, submit.
    page.keyboard.press("Enter")
    dialog.wait_for(state="visible")
    first_model = dialog.locator("input[name=model]").first
    assert first_model.evaluate("el => el === document.activeElement")
    page.keyboard.press("ArrowRight")
    assert dialog.locator("input[name=model]").nth(1).is_checked()
    submit = dialog.get_by_role("button", name="Create my try-on")
    for _ in range(20):
        page.keyboard.press("Tab")
        if submit.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail("the submit button cannot be reached with Tab")
    page.keyboard.press("Enter")
    wait_for_result(page, dialog)
    # Focus moved to the result's first action; Tab reaches "Try another".
    assert dialog.get_by_role("link", name="Download").evaluate(
        "el => el === document.activeElement"
    )
    page.keyboard.press("Tab")
    if dialog.get_by_label("Compare before and after").evaluate(
        "el => el === document.activeElement"
    ):
        page.keyboard.press("Tab")
    again = dialog.get_by_role("button", name="Try another")
    assert again.evaluate("el => el === document.activeElement")
    page.keyboard.press("Enter")
    assert submit.is_visible()
    screenshot(page, "tryon-keyboard.png")
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")


@pytest.mark.parametrize(
    "status, body, expected",
    [
        (
            202,
            {
                "status": "failed",
                "url": "/x/",
                "error": {"code": 10003, "message": "Try-on is unavailable right now."},
            },
            "Try-on is unavailable right now.",
        ),
        (
            503,
            {
                "detail": "Try-on is unavailable today. Please come back tomorrow.",
                "code": "daily_limit",
            },
            "Try-on is unavailable today. Please come back tomorrow.",
        ),
        (
            400,
            {"model_image": ["The image is too small: it must be at least 256×256 pixels."]},
            "too small",
        ),
        (
            429,
            {"detail": "Too many try-ons. Please wait a moment and try again."},
            "Too many try-ons",
        ),
    ],
    ids=["provider-error", "daily-cap", "field-error", "throttled"],
)
def test_errors_are_shown_as_plain_messages(page, shop, status, body, expected):
    import json

    page.recorder.expected_failures.add("/tryon/api/tryons/")
    page.route(
        "**/tryon/api/tryons/",
        lambda route: route.fulfill(
            status=status, content_type="application/json", body=json.dumps(body)
        ),
    )
    dialog = open_dialog(page)
    dialog.get_by_role("button", name="Create my try-on").click()
    alert = dialog.get_by_role("alert")
    alert.wait_for()
    assert expected in alert.inner_text()
    assert dialog.get_by_role("button", name="Create my try-on").is_visible()  # can try again
