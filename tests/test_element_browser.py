"""``<tryon-widget>`` on plain static pages of other origins, against the example shop's API.

The example shop (``tests.element_settings``: django-cors-headers, SameSite=None cookies,
TokenAuthentication) is served on ``http://127.0.0.1:<port>``. The front end is static
HTML served by bare ``http.server`` threads:

- ``http://127.0.0.1:<other port>``: another origin of the same site (ports do not make
  a site), as ``www.shop.example`` for an API on ``api.shop.example``: the session cookie
  and CSRF work there;
- ``http://localhost:<port>``: another site, as a front end on its own domain: browsers
  block cookies of another site (Chromium as run here does), so a token is the way;
- a third origin the shop does not allow: the element says so, to shoppers and developers.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest

from tests import images
from tests.browser_support import ARTIFACTS, BROWSER_TEST, Shop, serve_example_shop

pytestmark = [
    *BROWSER_TEST,
    pytest.mark.skipif(
        find_spec("corsheaders") is None,
        reason="django-cors-headers is not installed (the test extra has it)",
    ),
]

RESULT_TIMEOUT = 20_000  # ms
DIALOG_NAME = "Try on: Red T-shirt"

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>A headless shop</title>
  <link rel="icon" href="data:,">
  <script src="{shop}/static/tryon/element.js" defer></script>
  <script>
    window.tryonEvents = [];
    ["tryon:ready", "tryon:update", "tryon:result", "tryon:deleted", "tryon:error",
     "tryon:add_to_cart", "tryon:holdout"].forEach(
      function (name) {{
        document.addEventListener(name, function (event) {{
          window.tryonEvents.push({{ name: event.type, detail: event.detail }});
        }});
      }});
  </script>
</head>
<body>
  <main>
    <h1>Red T-shirt</h1>
    <tryon-widget garment="{garment}" api-base="{shop}/tryon/"{extra}></tryon-widget>
  </main>
</body>
</html>
"""


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class StaticSite:
    """A plain static web server for one folder, on its own port (its own origin)."""

    def __init__(self, folder: Path, host: str) -> None:
        self.folder = folder
        handler = functools.partial(_QuietHandler, directory=str(folder))
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.origin = f"http://{host}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Sites:
    same_site: StaticSite
    cross_site: StaticSite
    foreign: StaticSite
    folder: Path


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sites]:
    folder = tmp_path_factory.mktemp("front")
    served = Sites(
        same_site=StaticSite(folder, "127.0.0.1"),
        cross_site=StaticSite(folder, "localhost"),
        foreign=StaticSite(folder, "127.0.0.1"),  # the same pages, on an origin not allowed
        folder=folder,
    )
    yield served
    for site in (served.same_site, served.cross_site, served.foreign):
        site.close()


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory, sites: Sites) -> Iterator[Shop]:
    allowed = f"{sites.same_site.origin} {sites.cross_site.origin}"
    with serve_example_shop(
        tmp_path_factory.mktemp("shop"),
        settings="tests.element_settings",
        env={"TRYON_ELEMENT_ORIGINS": allowed},
    ) as served:
        yield served


@pytest.fixture(scope="module")
def pages(shop: Shop, sites: Sites) -> dict[str, str]:
    """The front end's pages: cookie session, token, and a token that is not valid."""
    garment, jeans, token = shop.manage(
        "shell",
        "--verbosity=0",
        "-c",
        "from django.contrib.auth import get_user_model;"
        "from rest_framework.authtoken.models import Token;"
        "from tryon.models import Garment;"
        "user, _ = get_user_model().objects.get_or_create(username='headless-shopper');"
        "print(Garment.objects.get(name='Red T-shirt').pk);"
        "print(Garment.objects.get(name='Classic jeans').pk);"
        "print(Token.objects.get_or_create(user=user)[0].key)",
    ).split()[-3:]
    folder = sites.folder
    variants = {
        "session": "",
        "token": f' token="{token}"',
        "bad-token": ' token="not-a-token"',
        "outfit": f' token="{token}" pair="{jeans}" cart',
        "bad-pair": f' token="{token}" pair="{garment}"',  # a garment cannot pair with itself
    }
    for name, extra in variants.items():
        html = PAGE.format(shop=shop.base_url, garment=garment, extra=extra)
        (folder / f"{name}.html").write_text(html, encoding="utf-8")
    return {"token": token}


@pytest.fixture
def page(browser: Any, pages: dict[str, str]) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 1000})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.api_requests = []  # (method, url, headers) of every request to the shop's API, files too
    page.console_errors = []
    page.on(
        "request",
        lambda request: (
            ("/tryon/api/" in request.url or "/tryon/files/" in request.url)
            and page.api_requests.append((request.method, request.url, request.all_headers()))
        ),
    )
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    yield page
    context.close()


def recorded_events(shop: Shop, wanted: set[str], timeout: float = 10) -> set[str]:
    """The kinds of analytics event the shop has recorded, once ``wanted`` are among them
    (beacons are sent in the background) or ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        kinds = set(
            shop.manage(
                "shell",
                "--verbosity=0",
                "-c",
                "from tryon.analytics.models import TryOnEvent;"
                "print(' '.join(set(TryOnEvent.objects.values_list('kind', flat=True))))",
            ).split()
        )
        if wanted <= kinds or time.monotonic() > deadline:
            return kinds
        time.sleep(0.3)


def events(page: Any, name: str) -> list[Any]:
    return [e["detail"] for e in page.evaluate("window.tryonEvents") if e["name"] == name]


def run_preset_tryon(page: Any, shop: Shop, *, pair: str = "") -> Any:
    """Open the element's dialog, try the garment (with ``pair``, the name of the garment
    completing the look) on the last preset model, see the result."""
    page.get_by_role("button", name="Try it on").click()
    dialog = page.get_by_role("dialog", name=DIALOG_NAME)
    dialog.wait_for(state="visible")
    if pair:
        dialog.get_by_label(f"Complete the look with {pair}").check()
    presets = dialog.locator("input[name=model]:not([value=upload])")
    assert presets.count() >= 1
    # The preset pictures are the shop's media, not the front end's.
    assert dialog.locator("img").first.get_attribute("src").startswith(shop.base_url + "/media/")
    presets.nth(presets.count() - 1).check()
    dialog.get_by_role("button", name="Create my try-on").click()
    dialog.locator("[data-tryon-after]").wait_for(state="visible", timeout=RESULT_TIMEOUT)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-tryon-after], [data-tryon-before]')]"
        ".every(img => img.complete && img.naturalWidth > 0)",
        timeout=RESULT_TIMEOUT,
    )
    after = dialog.locator("[data-tryon-after]")
    source = after.evaluate("img => img.dataset.tryonSource")
    if not pair:  # a preset's result is public media, shown as it is
        assert source.startswith(shop.base_url + "/media/tryon/results/")
    # An outfit's second step wears the first step's picture: private, unless an earlier
    # preset try-on answered that step. A private picture is shown from a blob (token).
    private = source.startswith(shop.base_url + "/tryon/files/")
    assert private or source.startswith(shop.base_url + "/media/tryon/results/")
    src = after.get_attribute("src")
    assert src.startswith("blob:") if private else src == source
    return dialog


def test_cookie_session_and_csrf_from_another_origin(page, shop, sites):
    front = sites.same_site
    page.goto(front.origin + "/session.html")
    assert page.evaluate("location.origin") == front.origin != shop.base_url
    element = page.locator("tryon-widget")
    element.get_by_role("button", name="Try it on").wait_for()
    assert page.locator("script[src$='tryon/widget.js']").count() == 1
    assert page.locator("link[href$='tryon/widget.css']").count() == 1
    [ready] = events(page, "tryon:ready")
    assert ready["garment"]["name"] == "Red T-shirt"
    assert ready["language"] == "en"
    [fragment] = [url for _, url, _ in page.api_requests if "/widget/" in url]
    assert fragment.endswith("/widget/?lang=en")  # the page's <html lang>

    dialog = run_preset_tryon(page, shop)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "tryon-element-result.png"))
    # The shop's analytics hear the element's widget, from a front end it trusts for CSRF.
    assert page.locator("script[src$='tryon/beacon.js']").count() == 1
    wanted = {"widget_rendered", "widget_shown", "dialog_opened", "tryon_succeeded"}
    assert wanted <= recorded_events(shop, wanted)

    [(_, create_url, headers)] = [r for r in page.api_requests if r[0] == "POST"]
    assert create_url == shop.base_url + "/tryon/api/tryons/"
    assert headers["origin"] == front.origin
    assert headers["x-csrftoken"]  # from the fragment: this page cannot read the shop's cookie
    assert "csrftoken=" in headers.get("cookie", "")  # the cross-site cookies were sent
    [result] = events(page, "tryon:result")
    assert result["status"] == "succeeded"
    assert events(page, "tryon:error") == []

    # The poll found the try-on by the session cookie; DELETE passes the CSRF check too.
    dialog.get_by_role("button", name="Delete").click()
    dialog.get_by_text("Your photo and try-on have been deleted.").wait_for()
    assert len(events(page, "tryon:deleted")) == 1
    assert page.console_errors == []


def test_token_auth_from_another_site_sends_no_cookie_and_needs_no_csrf(page, shop, sites, pages):
    page.goto(sites.cross_site.origin + "/token.html")
    page.get_by_role("button", name="Try it on").wait_for()
    run_preset_tryon(page, shop)
    assert page.api_requests
    for _method, _url, headers in page.api_requests:
        assert headers["authorization"] == f"Token {pages['token']}"
        assert "cookie" not in headers
    assert events(page, "tryon:result")[0]["status"] == "succeeded"
    assert page.console_errors == []

    # A single-page app switches the garment: the element reloads; none is active here.
    page.locator("tryon-widget").evaluate("el => el.setAttribute('garment', '999999')")
    page.get_by_role("button", name="Try it on").wait_for(state="detached")
    assert events(page, "tryon:error")[-1]["status"] == 404


def test_token_auth_shows_the_shoppers_own_photo_and_result(page, shop, sites, pages, tmp_path):
    """An upload's pictures are private: with a token the element fetches them with it."""
    photo = tmp_path / "me.jpg"
    photo.write_bytes(images.person_photo(600, 900))
    page.goto(sites.cross_site.origin + "/token.html")
    page.get_by_role("button", name="Try it on").click()
    dialog = page.get_by_role("dialog", name=DIALOG_NAME)
    dialog.get_by_label("My own photo").check()
    dialog.get_by_label("Upload a photo").set_input_files(str(photo))
    dialog.get_by_label("I agree that my photo is used to create this try-on.").check()
    dialog.get_by_role("button", name="Create my try-on").click()
    dialog.locator("[data-tryon-after]").wait_for(state="visible", timeout=RESULT_TIMEOUT)
    shown = "img => img.complete && img.naturalWidth > 0 && img.src.startsWith('blob:')"
    page.wait_for_function(
        f"() => [...document.querySelectorAll('[data-tryon-after], [data-tryon-before]')]"
        f".every({shown})",
        timeout=RESULT_TIMEOUT,
    )
    after = dialog.locator("[data-tryon-after]")
    assert after.evaluate("img => img.dataset.tryonSource").startswith(
        shop.base_url + "/tryon/files/"
    )
    download = dialog.get_by_role("link", name="Download").get_attribute("href")
    assert download == after.get_attribute("src")  # the blob: saved as the file
    files = [r for r in page.api_requests if "/tryon/files/" in r[1]]
    assert files and all(h["authorization"] == f"Token {pages['token']}" for _, _, h in files)
    assert all("cookie" not in h for _, _, h in page.api_requests)

    # Next visit: the upload is one of the shopper's photos, its picture fetched the same way.
    page.reload()
    page.get_by_role("button", name="Try it on").click()
    own_picture = dialog.locator(".tryon-model--mine img")
    own_picture.wait_for()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0 && img.src.startsWith('blob:')",
        arg=own_picture.element_handle(),
        timeout=RESULT_TIMEOUT,
    )
    assert page.console_errors == []


def test_pair_and_cart_attributes_complete_the_look_and_add_both_to_the_cart(page, shop, sites):
    page.goto(sites.cross_site.origin + "/outfit.html")
    dialog = run_preset_tryon(page, shop, pair="Classic jeans")
    [result] = events(page, "tryon:result")
    assert len(result["garments"]) == 2
    dialog.get_by_role("button", name="Add to cart").click()
    [added] = events(page, "tryon:add_to_cart")
    assert sorted(added["garments"]) == sorted(result["garments"])
    assert added["product"]  # the garment's linked product, for the shop's cart
    assert page.console_errors == []


def test_a_pair_that_cannot_be_says_why_in_the_console(page, sites):
    page.goto(sites.cross_site.origin + "/bad-pair.html")
    page.locator("tryon-widget .tryon-unavailable").wait_for()
    [error] = events(page, "tryon:error")
    assert error["status"] == 400
    assert '"pair"' in error["message"] and "upper-body" in error["message"]


def test_a_session_in_the_holdout_sees_no_widget(page, sites):
    # The shop's HOLDOUT_PERCENT put this session in the holdout: its fragment answers 204.
    page.route("**/api/garments/*/widget/*", lambda route: route.fulfill(status=204))
    page.goto(sites.same_site.origin + "/session.html")
    page.wait_for_function("() => window.tryonEvents.some(e => e.name === 'tryon:holdout')")
    assert page.locator("tryon-widget").inner_html() == ""
    assert events(page, "tryon:error") == []
    assert page.console_errors == []


def test_an_origin_the_shop_does_not_allow_gets_a_clear_message(page, shop, sites):
    foreign = sites.foreign
    page.goto(foreign.origin + "/session.html")
    note = page.locator("tryon-widget .tryon-unavailable")
    note.wait_for()
    assert note.inner_text() == "Virtual try-on is not available at the moment."
    assert page.get_by_role("button", name="Try it on").count() == 0
    [error] = events(page, "tryon:error")
    assert "CORS_ALLOWED_ORIGINS" in error["message"]
    assert foreign.origin in error["message"]
    assert any("CORS_ALLOWED_ORIGINS" in text for text in page.console_errors)


def test_a_refused_token_is_shown_not_hidden(page, shop, sites):
    page.goto(sites.cross_site.origin + "/bad-token.html")
    page.locator("tryon-widget .tryon-unavailable").wait_for()
    [error] = events(page, "tryon:error")
    assert error["status"] in (401, 403)


def test_session_cookies_of_another_site_blocked_tells_the_developer(page, shop, sites):
    page.goto(sites.cross_site.origin + "/session.html")
    page.get_by_role("button", name="Try it on").click()
    dialog = page.get_by_role("dialog", name=DIALOG_NAME)
    dialog.get_by_role("button", name="Create my try-on").click()
    alert = dialog.get_by_role("alert")
    outcome = page.wait_for_function(
        "() => { const a = document.querySelector('[data-tryon-error]');"
        " if (a && !a.hidden) return 'refused';"
        " const r = document.querySelector('[data-tryon-result]');"
        " return r && !r.hidden ? 'succeeded' : false; }",
        timeout=RESULT_TIMEOUT,
    ).json_value()
    if outcome == "succeeded":
        pytest.skip("this browser sends cookies of another site (third-party cookies allowed)")
    assert alert.inner_text() == "Your session has expired. Please reload the page and try again."
    posts = [r for r in page.api_requests if r[0] == "POST"]
    assert len(posts) == 2  # retried once, with a fresh token from api/csrf/
    [error] = events(page, "tryon:error")[-1:]
    assert error["status"] == 403
    assert "CSRF cookie not set" in error["message"]
    assert "token attribute" in error["message"]
    assert any("token attribute" in text for text in page.console_errors)
