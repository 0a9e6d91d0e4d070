"""The example shop's admin in a real browser (Debian's chromium, driven by Playwright):
the garments inline fits a 1366 px laptop screen with its previews, and the garment's
product is picked with the search box (Django's own select2, no build step).
Screenshots go to ``artifacts/``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import images
from tests.browser_support import ARTIFACTS, BROWSER_TEST, Shop, serve_example_shop

pytestmark = BROWSER_TEST

LAPTOP = {"width": 1366, "height": 768}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    with serve_example_shop(tmp_path_factory.mktemp("admin-shop")) as served:
        yield served


@pytest.fixture
def page(browser: Any, shop: Shop) -> Iterator[Any]:
    context = browser.new_context(viewport=LAPTOP, base_url=shop.base_url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "admin")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    yield page
    context.close()
    assert errors == []


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def open_product(page: Any, name: str) -> None:
    page.goto("/admin/shop/product/")
    page.get_by_role("link", name=name, exact=True).click()
    page.wait_for_load_state()


def test_garments_inline_with_previews_fits_a_laptop_screen(page):
    page.goto("/admin/shop/product/")
    page.check("#action-toggle")
    page.select_option("select[name=action]", "generate_tryon_previews")
    page.click("button[name=index]")
    page.get_by_role("button", name="Queue previews").click()
    page.wait_for_url("**/admin/shop/product/")

    deadline = time.monotonic() + 60  # the shop's db_worker makes them, offline
    while True:
        open_product(page, "Black hoodie")
        thumbnails = page.locator(".inline-group .tryon-previews img")
        if thumbnails.count() == 3 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert thumbnails.count() == 3
    assert "Succeeded: 3" in page.locator(".inline-group").inner_text()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.inline-group img')]"
        ".every(img => img.complete && img.naturalWidth > 0)"
    )
    widths = page.evaluate(
        """() => ({
            page: document.documentElement.scrollWidth,
            screen: document.documentElement.clientWidth,
            table: document.querySelector('.inline-group table').scrollWidth,
            room: document.querySelector('.inline-group').clientWidth,
        })"""
    )
    screenshot(page, "admin-product-inline-1366.png")
    assert widths["table"] <= widths["room"], widths
    assert widths["page"] <= widths["screen"], widths


def test_garment_product_is_picked_with_the_search_box(page, tmp_path: Path):
    from playwright.sync_api import expect

    picture = tmp_path / "scarf.png"
    picture.write_bytes(images.garment_photo())
    page.goto("/admin/tryon/garment/add/")
    page.fill("#id_name", "Striped scarf")
    page.set_input_files("#id_image", str(picture))
    page.locator(".field-shop_product .select2-selection").click()
    page.locator(".select2-search__field").fill("jeans")
    # Searched on the server (the JSON view), not filtered from a list in the page.
    expect(page.locator(".select2-results__option")).to_have_text(["Classic jeans"])
    page.locator(".select2-results__option", has_text="Classic jeans").click()
    screenshot(page, "admin-garment-product-picker.png")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url("**/admin/tryon/garment/")
    row = page.locator("#result_list tr", has_text="Striped scarf")
    assert "Classic jeans" in row.inner_text()
