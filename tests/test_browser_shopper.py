"""The shopper's flows beyond the first try-on, in a real browser, on a desktop and a phone.

Debian's chromium, driven by Playwright, against the example shop served on 127.0.0.1
(``tests.browser_support``) with the fake provider (``FakeChangeClothesServer``). Each
flow runs at 1366×900 and at 390×844 (a phone, touch) and leaves a screenshot in
``artifacts/``: the visit's photo reused on a second product page, a refused photo, the
photo check's warnings, an outfit, a share link opened elsewhere, the analytics events.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import images
from tests.browser_support import ARTIFACTS, BROWSER_TEST, Shop, serve_example_shop
from tryon.testing import FakeChangeClothesServer

pytestmark = BROWSER_TEST

TEE, JEANS = "/products/red-t-shirt/", "/products/classic-jeans/"
RESULT_TIMEOUT = 20_000  # ms; the offline backend needs well under a second
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1366, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}
ANALYTICS = [
    "widget_shown",
    "dialog_opened",
    "tryon_submitted",
    "tryon_succeeded",
    "tryon_failed",
    "result_viewed",
    "result_downloaded",
    "tryon_deleted",
]
# Every tryon:* event of the page, in order, from its first script on, handed to the test
# as it happens (so a page left for the cart keeps its record).
LISTEN = """
["widget_shown", "dialog_opened", "tryon_submitted", "tryon_succeeded", "tryon_failed",
 "result_viewed", "result_downloaded", "tryon_deleted", "add_to_cart"].forEach(function (name) {
  document.addEventListener("tryon:" + name, function (event) {
    window.tryonEvent({ name: name, detail: event.detail, bubbles: event.bubbles,
      fromWidget: !!event.target.closest("[data-tryon-widget]") });
  });
});
// What each POST carried (the browser does not show a test a body holding a file).
var sendRequest = window.fetch;
window.fetch = function (url, init) {
  var body = init && init.body;
  if (init && init.method === "POST" && body instanceof FormData) {
    var fields = {};
    body.forEach(function (value, key) {
      fields[key] = (fields[key] || []).concat(value instanceof File ? ["<file>"] : [value]);
    });
    window.tryonPost(fields);
  }
  return sendRequest.apply(this, arguments);
};
"""


@pytest.fixture(scope="module")
def provider() -> Iterator[FakeChangeClothesServer]:
    with FakeChangeClothesServer(api_key="fake-api-key") as fake:
        yield fake


@pytest.fixture(scope="module")
def shop(
    tmp_path_factory: pytest.TempPathFactory, provider: FakeChangeClothesServer
) -> Iterator[Shop]:
    with serve_example_shop(
        tmp_path_factory.mktemp("shop"),
        settings="tests.shopper_browser_settings",
        env={"TRYON_FAKE_PROVIDER_URL": provider.base_url},
    ) as served:
        yield served


class Recorder:
    """The page's API requests and what each POST carried, and any script error."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.requests: list[tuple[str, str]] = []
        self.errors: list[str] = []
        page.on("request", self._request)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _request(self, request: Any) -> None:
        if "/tryon/api/" in request.url:
            self.requests.append((request.method, request.url))

    def posts(self) -> list[dict[str, list[str]]]:
        """The fields of each create request, in order ("<file>" for a file)."""
        self.page.evaluate("() => new Promise(requestAnimationFrame)")  # the last calls are in
        return list(self.page.context.tryon_posts)

    def uploads(self) -> int:
        return sum(1 for fields in self.posts() if "model_image" in fields)


@pytest.fixture(params=sorted(VIEWPORTS))
def device(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def context(browser: Any, shop: Shop, device: str) -> Iterator[Any]:
    context = browser.new_context(base_url=shop.base_url, **VIEWPORTS[device])
    context.set_default_timeout(10_000)
    context.tryon_events, context.tryon_posts = [], []
    context.expose_function("tryonEvent", lambda event: context.tryon_events.append(event))
    context.expose_function("tryonPost", lambda fields: context.tryon_posts.append(fields))
    context.add_init_script(LISTEN)
    yield context
    context.close()


@pytest.fixture
def page(context: Any) -> Iterator[Any]:
    page = context.new_page()
    page.recorder = Recorder(page)
    yield page
    assert page.recorder.errors == [], f"errors in the page: {page.recorder.errors}"


def photo(tmp_path: Path, width: int, height: int) -> str:
    path = tmp_path / f"me-{width}x{height}.jpg"
    path.write_bytes(images.person_photo(width, height))
    return str(path)


def screenshot(page: Any, flow: str, device: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"shopper-{flow}-{device}.png"))


def open_dialog(page: Any, path: str = TEE) -> Any:
    page.goto(path)
    page.get_by_role("button", name="Try it on").click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for(state="visible")
    return dialog


def upload(dialog: Any, path: str) -> None:
    dialog.get_by_label("My own photo").check()
    dialog.get_by_label("Upload a photo").set_input_files(path)
    dialog.get_by_label("I agree that my photo is used to create this try-on.").check()
    dialog.get_by_role("button", name="Create my try-on").click()


def wait_for_result(page: Any, dialog: Any) -> None:
    dialog.locator("[data-tryon-after]").wait_for(state="visible", timeout=RESULT_TIMEOUT)
    page.wait_for_function(
        "() => [...document.querySelectorAll('dialog[open] [data-tryon-after]')]"
        ".every(img => img.complete && img.naturalWidth > 0)",
        timeout=RESULT_TIMEOUT,
    )


def seen_by_shopper(page: Any, locator: Any) -> None:
    """Visible, inside the viewport, and where the focus is: a phone shows it too."""
    from playwright.sync_api import expect

    expect(locator).to_be_visible()
    expect(locator).to_be_in_viewport()
    expect(locator).to_be_focused()


def events(page: Any) -> list[dict[str, Any]]:
    page.evaluate("() => new Promise(requestAnimationFrame)")  # the last calls are in
    return list(page.context.tryon_events)


def test_the_visits_photo_is_offered_on_the_next_product_page(page, shop, device, tmp_path):
    dialog = open_dialog(page, TEE)
    upload(dialog, photo(tmp_path, 600, 900))
    wait_for_result(page, dialog)
    assert page.recorder.uploads() == 1
    # "Try another": the photo is one of the shopper's now, chosen, with no upload asked for.
    dialog.get_by_role("button", name="Try another").click()
    mine = dialog.get_by_role("radio", name="My uploaded photo")
    assert mine.is_checked()
    assert dialog.locator("[data-tryon-upload]").is_hidden()

    dialog = open_dialog(page, JEANS)
    mine = dialog.get_by_role("radio", name="My uploaded photo")
    assert mine.count() == 1 and mine.is_checked()  # rendered by the tag, chosen first
    assert "/tryon/files/" in dialog.locator("[data-tryon-own-photo] img").get_attribute("src")
    assert dialog.locator("[data-tryon-consent]").is_hidden()  # no second consent
    screenshot(page, "reuse-picker", device)
    dialog.get_by_role("button", name="Create my try-on").click()
    wait_for_result(page, dialog)
    assert len(page.recorder.posts()) == 2
    assert page.recorder.uploads() == 1  # no second upload
    assert "model_photo" in page.recorder.posts()[1]
    screenshot(page, "reuse-result", device)

    # Removed: gone from the picker, from the server, and from the next page.
    dialog.get_by_role("button", name="Try another").click()
    dialog.get_by_role("button", name="Remove my uploaded photo").click()
    dialog.get_by_text("Your photo has been removed").wait_for()
    assert dialog.get_by_role("radio", name="My uploaded photo").count() == 0
    assert any(m == "DELETE" and "/model-photos/" in u for m, u in page.recorder.requests)
    listed = page.request.get("/tryon/api/model-photos/").json()
    assert not any(item["is_own"] for item in listed)
    page.reload()
    assert page.locator("[data-tryon-own-photo]").count() == 0


def test_a_refused_photo_is_said_where_the_shopper_looks(page, shop, device, tmp_path):
    dialog = open_dialog(page)
    upload(dialog, photo(tmp_path, 320, 480))  # smaller than the photo check accepts
    alert = dialog.get_by_role("alert")
    alert.wait_for()
    assert "small" in alert.inner_text()
    seen_by_shopper(page, alert)
    first_model = dialog.locator("input[name=model]").first
    assert not first_model.evaluate("el => el === document.activeElement")
    screenshot(page, "refused", device)
    assert [e["name"] for e in events(page)][-2:] == ["tryon_submitted", "tryon_failed"]


def test_warnings_are_the_shoppers_call(page, shop, device, tmp_path):
    small = photo(tmp_path, 440, 660)  # usable, but the result may look soft
    dialog = open_dialog(page)
    upload(dialog, small)
    warnings = dialog.locator("[data-tryon-warnings]")
    warnings.wait_for()
    assert "photo is small" in warnings.inner_text()
    seen_by_shopper(page, warnings)
    screenshot(page, "warnings", device)
    assert page.recorder.posts()[0]["accept_warnings"] == ["false"]

    # "Choose another photo": back to the file, nothing sent.
    dialog.get_by_role("button", name="Choose another photo").click()
    assert warnings.is_hidden()
    assert dialog.get_by_label("Upload a photo").evaluate("el => el === document.activeElement")
    assert len(page.recorder.posts()) == 1

    dialog.get_by_label("Upload a photo").set_input_files(small)
    dialog.get_by_role("button", name="Create my try-on").click()
    warnings.wait_for()
    dialog.get_by_role("button", name="Use this photo anyway").click()
    wait_for_result(page, dialog)
    posts = page.recorder.posts()
    assert len(posts) == 3
    assert posts[2]["accept_warnings"] == ["true"] and posts[2]["model_image"] == ["<file>"]
    assert page.recorder.uploads() == 3  # the photo itself, each time until it is accepted
    names = [e["name"] for e in events(page)]
    assert names.count("tryon_submitted") == 2 and names[-2:] == [
        "tryon_succeeded",
        "result_viewed",
    ]


def test_complete_the_look(page, shop, provider, device, tmp_path):
    dialog = open_dialog(page, TEE)
    outfit = dialog.get_by_label("Complete the look with Classic jeans")
    assert "twice as long" in dialog.locator(".tryon-pair").inner_text()
    outfit.check()
    calls = provider.call_count
    upload(dialog, photo(tmp_path, 610 if device == "phone" else 620, 900))  # a new photo
    wait_for_result(page, dialog)
    [post] = page.recorder.posts()
    assert len(post["garments"]) == 2 and "garment" not in post
    assert dialog.locator("[data-tryon-after]").get_attribute("alt") == (
        "Red T-shirt with Classic jeans, tried on"
    )
    assert dialog.get_by_text("AI-generated").is_visible()
    screenshot(page, "outfit", device)

    # Two chained provider calls: the T-shirt on the photo, then the jeans on that picture.
    made = provider.calls()[calls:]
    assert [call.fields["garmentDesc"] for call in made] == [
        "red short-sleeved crew-neck cotton t-shirt",
        "mid-blue straight-leg denim jeans",
    ]


def test_a_share_link_shows_the_result_and_nothing_else(browser, page, shop, device):
    dialog = open_dialog(page)
    dialog.locator("input[name=model]").first.check()
    dialog.get_by_role("button", name="Create my try-on").click()
    wait_for_result(page, dialog)
    dialog.get_by_role("button", name="Share").click()
    link = dialog.get_by_label("Share link")
    link.wait_for()
    share_url = link.input_value()
    assert "/tryon/share/" in share_url
    dialog.get_by_role("button", name="Copy link").click()
    dialog.get_by_text("Link copied.").or_(dialog.get_by_text("copy it")).first.wait_for()
    screenshot(page, "share", device)

    stranger = browser.new_context(**VIEWPORTS[device])  # no cookie, no session of the shopper
    try:
        other = stranger.new_page()
        assert other.goto(share_url).status == 200
        pictures = other.locator("img")
        assert pictures.count() == 1
        other.wait_for_function("() => document.images[0].complete")
        assert other.evaluate("document.images[0].naturalWidth") > 0
        assert "/share/" in pictures.first.get_attribute("src")
        html = other.content()
        for private in ("/tryon/files/", "/tryon/api/", "<form", "<input", "dialog"):
            assert private not in html
        assert other.get_by_text("AI-generated").is_visible()
        other.screenshot(path=str(ARTIFACTS / f"shopper-share-page-{device}.png"))

        dialog.get_by_role("button", name="Stop sharing").click()
        dialog.get_by_text("Sharing stopped").wait_for()
        assert dialog.get_by_role("button", name="Share").is_visible()
        # (The page itself may stay in a browser's cache for minutes: private, max-age=300.)
        assert stranger.request.get(share_url).status == 404
    finally:
        stranger.close()


def test_the_analytics_events_in_order(page, shop, device):
    page.goto(TEE)
    garment = int(page.locator("[data-tryon-widget]").get_attribute("data-garment"))
    opener = page.get_by_role("button", name="Try it on")
    if opener.evaluate("el => el.getBoundingClientRect().top > innerHeight"):
        page.wait_for_timeout(300)  # below the fold: shown once scrolled to, not before
        assert "widget_shown" not in [e["name"] for e in events(page)]
    opener.click()
    dialog = page.get_by_role("dialog")
    dialog.locator("input[name=model]:not([value=upload])").last.check()
    dialog.get_by_role("button", name="Create my try-on").click()
    wait_for_result(page, dialog)
    with page.expect_download():
        dialog.get_by_role("link", name="Download").click()
    # Looked up before the click: the shop's cart form posts at once, leaving the page.
    has_cart = page.locator("form[data-shop-cart]").count() > 0
    dialog.get_by_role("button", name="Add to cart").click()
    if has_cart:  # the example shop's cart: the widget's event posts its form
        page.wait_for_url("**/cart/")
    else:
        dialog.get_by_role("button", name="Delete").click()
        dialog.get_by_text("Your photo and try-on have been deleted.").wait_for()
    screenshot(page, "events", device)

    recorded = events(page)
    names = [e["name"] for e in recorded if e["name"] in ANALYTICS]
    expected = [*ANALYTICS[:4], "result_viewed", "result_downloaded", "tryon_deleted"]
    assert names == (expected[:-1] if has_cart else expected)
    assert all(e["bubbles"] and e["fromWidget"] for e in recorded)
    assert all(e["detail"]["garment"] == garment for e in recorded)
    by_name = {e["name"]: e["detail"] for e in recorded}
    assert by_name["widget_shown"]["tryon"] is None
    assert by_name["tryon_submitted"]["tryon"] is None  # not answered yet
    tryon = by_name["tryon_succeeded"]["tryon"]
    assert len(tryon) == 36 and by_name["tryon_succeeded"]["wait_ms"] >= 0
    for name in ("result_viewed", "result_downloaded", "tryon_deleted", "add_to_cart"):
        if name in by_name:
            assert by_name[name]["tryon"] == tryon
    cart = by_name["add_to_cart"]
    assert cart["garments"] == [garment] and cart["product"]
