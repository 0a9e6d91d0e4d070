"""The widget's layout in a real browser: phones (360×740, 390×844), a desktop (1366×900),
right to left with Arabic, and a strict Content-Security-Policy.

Debian's chromium, driven by Playwright, on the example shop served with
``tests.csp_settings``: the browser settings plus ``script-src 'self'; style-src 'self'``.
Every flow here runs under that policy and fails on any violation, so a ``style=``
attribute or an inline script in the widget's markup fails these tests. Screenshots go to
``artifacts/layout-*.png``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests import images
from tests.browser_support import ARTIFACTS, BROWSER_TEST, Shop, serve_example_shop
from tests.csp_middleware import STRICT_CSP

pytestmark = BROWSER_TEST

PRODUCT = "/products/red-t-shirt/"
RESULT_TIMEOUT = 20_000  # ms; the offline backend needs well under a second
TARGET = 44  # px: the smallest touch target on a phone
PHONES = {"360x740": (360, 740), "390x844": (390, 844)}
DESKTOP = (1366, 900)

# Before any script of the page runs: every CSP violation, wherever it comes from.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push({
    directive: event.violatedDirective, blocked: event.blockedURI, sample: event.sample,
    source: event.sourceFile, line: event.lineNumber,
    element: event.target && event.target.outerHTML ? event.target.outerHTML.slice(0, 160) : null,
  });
}, true);
"""

# The dialog's box and every visible control in it. A radio or checkbox is hit through its
# labels too, so its target is the tallest of them.
MEASURE = """
(dialog) => {
  const box = (el) => {
    const r = el.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom,
            width: r.width, height: r.height};
  };
  const visible = (el) =>
    el.checkVisibility({visibilityProperty: true}) && el.getClientRects().length > 0;
  const name = (el) => {
    const label = el.labels && el.labels[0] && el.labels[0].textContent;
    const text = el.getAttribute("aria-label") || label || el.textContent || el.value || "";
    const kind = el.tagName.toLowerCase() + (el.type ? `[${el.type}]` : "");
    return kind + " " + text.trim().slice(0, 30);
  };
  const controls = [];
  for (const el of dialog.querySelectorAll("a[href], button, input, select, textarea, summary")) {
    if (!visible(el)) continue;
    const own = box(el);
    let hit = own.height;
    if (el.type === "radio" || el.type === "checkbox") {
      for (const label of el.labels) if (visible(label)) hit = Math.max(hit, box(label).height);
    }
    controls.push({name: name(el), ...own, hit});
  }
  const style = getComputedStyle(dialog);
  return {
    dialog: {...box(dialog), scrollWidth: dialog.scrollWidth, clientWidth: dialog.clientWidth,
             paddingStart: parseFloat(style.paddingInlineStart), direction: style.direction,
             textAlign: style.textAlign},
    viewport: {width: window.innerWidth, height: window.innerHeight},
    page: {scrollWidth: document.documentElement.scrollWidth},
    controls,
  };
}
"""


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    with serve_example_shop(tmp_path_factory.mktemp("shop"), settings="tests.csp_settings") as s:
        yield s


class Recorder:
    """What went wrong in the page: script errors, console errors, failed answers."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        self.expected: set[str] = {"/favicon.ico"}  # URL endings allowed to fail
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        page.on("console", self._console)
        page.on("response", self._response)

    def _console(self, message: Any) -> None:
        if message.type == "error" and not message.location.get("url", "").endswith(
            tuple(self.expected)
        ):
            self.errors.append(f"console: {message.text}")

    def _response(self, response: Any) -> None:
        if response.status >= 400 and not response.url.endswith(tuple(self.expected)):
            self.errors.append(f"{response.status} {response.request.method} {response.url}")

    def violations(self) -> list[dict[str, Any]]:
        return list(self.page.evaluate("() => window.__cspViolations || []"))


@pytest.fixture
def new_page(browser: Any, shop: Shop) -> Iterator[Callable[..., Any]]:
    """Opens a page at a viewport size (a phone has touch); checks it at the end."""
    contexts: list[Any] = []
    pages: list[Any] = []

    def make(size: tuple[int, int], *, phone: bool) -> Any:
        width, height = size
        options: dict[str, Any] = {"is_mobile": True, "has_touch": True} if phone else {}
        context = browser.new_context(
            viewport={"width": width, "height": height},
            device_scale_factor=2 if phone else 1,
            base_url=shop.base_url,
            **options,
        )
        context.set_default_timeout(10_000)
        context.add_init_script(RECORD_VIOLATIONS)
        contexts.append(context)
        page = context.new_page()
        page.recorder = Recorder(page)
        pages.append(page)
        return page

    yield make
    try:
        for page in pages:
            violations = page.recorder.violations()
            assert violations == [], f"Content-Security-Policy violations: {violations}"
            assert page.recorder.errors == [], f"errors in the page: {page.recorder.errors}"
    finally:
        for context in contexts:
            context.close()


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"layout-{name}.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 0


def open_dialog(page: Any, *, own_photo: bool = False) -> Any:
    page.locator("[data-tryon-open]").click()
    dialog = page.locator("[data-tryon-dialog]")
    dialog.wait_for(state="visible")
    if own_photo:  # the upload controls show
        dialog.locator("[data-tryon-own]").check()
        dialog.locator("[data-tryon-upload]").wait_for(state="visible")
    return dialog


def preset_tryon(page: Any, dialog: Any) -> None:
    """Picks the last preset model, submits, and waits for the decoded before/after."""
    presets = dialog.locator("input[name=model]:not([value=upload])")
    presets.nth(presets.count() - 1).check()
    dialog.locator("[data-tryon-form] [type=submit]").click()
    dialog.locator("[data-tryon-after]").wait_for(state="visible", timeout=RESULT_TIMEOUT)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-tryon-after], [data-tryon-before]')]"
        ".every(img => img.complete && img.naturalWidth > 0)",
        timeout=RESULT_TIMEOUT,
    )


def assert_fits(layout: dict[str, Any], *, touch: bool) -> None:
    """No sideways scroll, every control inside the dialog, and (phones) big enough to tap."""
    dialog, viewport = layout["dialog"], layout["viewport"]
    assert dialog["scrollWidth"] <= dialog["clientWidth"], f"the dialog scrolls sideways: {dialog}"
    assert layout["page"]["scrollWidth"] <= viewport["width"], "the page scrolls sideways"
    assert dialog["left"] >= 0 and dialog["right"] <= viewport["width"], dialog
    assert layout["controls"], "no control measured"
    for control in layout["controls"]:
        inside = (
            dialog["left"] - 0.5 <= control["left"] and control["right"] <= dialog["right"] + 0.5
        )
        assert inside, f"{control['name']} sticks out of the dialog: {control} {dialog}"
        if touch:
            assert control["hit"] >= TARGET - 0.5, (
                f"{control['name']} is too small to tap: {control}"
            )


def measure(dialog: Any) -> dict[str, Any]:
    return dict(dialog.evaluate(MEASURE))


def box(locator: Any) -> dict[str, float]:
    return dict(locator.evaluate("el => el.getBoundingClientRect().toJSON()"))


def touch_drag(page: Any, start: tuple[float, float], end_x: float) -> None:
    """A finger dragged sideways, through the browser's own touch input (touch-action applies)."""
    cdp = page.context.new_cdp_session(page)
    x, y = start

    def send(kind: str, at: float | None) -> None:
        points = [] if at is None else [{"x": at, "y": y}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    send("touchStart", x)
    steps = 12
    for step in range(1, steps + 1):
        send("touchMove", x + (end_x - x) * step / steps)
    send("touchEnd", None)
    cdp.detach()


def check_compare_slider(page: Any, dialog: Any, *, rtl: bool) -> None:
    """A thumb-sized slider; dragged with a finger, the split follows it on the picture."""
    slider = dialog.locator("[data-tryon-split]")
    slider.scroll_into_view_if_needed()
    assert slider.evaluate("el => getComputedStyle(el).touchAction") == "pan-y"
    assert slider.input_value() == "50"
    track = box(slider)
    assert track["height"] >= TARGET - 0.5, f"the slider is {track['height']} px tall"
    # At 50 the thumb is in the middle: the whole 44 px column there grabs it.
    middle = track["left"] + track["width"] / 2
    for y in (track["top"] + 1, track["top"] + track["height"] / 2, track["bottom"] - 1):
        hit = page.evaluate(
            "([x, y]) => document.elementFromPoint(x, y)?.hasAttribute('data-tryon-split')",
            [middle, y],
        )
        assert hit, f"the slider's thumb is not under the finger at y={y} ({track})"

    # Drag to a quarter of the way from the inline start (the right edge, right to left).
    quarter = track["right"] - track["width"] / 4 if rtl else track["left"] + track["width"] / 4
    touch_drag(page, (middle, track["top"] + track["height"] / 2), quarter)
    value = int(slider.input_value())
    assert 20 <= value <= 30, f"dragged to a quarter, the slider reads {value}"
    compare = dialog.locator("[data-tryon-compare]")
    split = compare.evaluate("el => el.style.getPropertyValue('--tryon-split')")
    assert split == f"{value}%"
    # The "before" picture covers the inline-start side up to the split: its edge is under
    # the finger (give or take half a thumb).
    picture = box(compare)
    edge = (
        picture["right"] - picture["width"] * value / 100
        if rtl
        else picture["left"] + picture["width"] * value / 100
    )
    assert abs(edge - quarter) <= 16, f"split at {edge}, finger at {quarter}"
    clip = dialog.locator("[data-tryon-before]").evaluate("el => getComputedStyle(el).clipPath")
    expected = f"inset(0px 0px 0px {100 - value}%)" if rtl else f"inset(0px {100 - value}% 0px 0px)"
    assert clip == expected


@pytest.mark.parametrize("size", PHONES, ids=list(PHONES))
def test_phone_dialog_fits_and_every_control_takes_a_thumb(new_page, size):
    page = new_page(PHONES[size], phone=True)
    page.goto(PRODUCT)
    dialog = open_dialog(page, own_photo=True)
    layout = measure(dialog)
    assert_fits(layout, touch=True)
    # A phone's dialog uses the width: at most 1rem (16 px) of the screen is left over.
    assert layout["dialog"]["width"] >= layout["viewport"]["width"] - 16.5

    # The upload controls stack: each label above its own full-width picker, the consent
    # checkbox on its label's first line, nothing overlapping.
    pickers = dialog.locator("[data-tryon-file]")
    assert pickers.count() == 2
    content_width = layout["dialog"]["clientWidth"] - 2 * layout["dialog"]["paddingStart"]
    for index in range(2):
        picker = pickers.nth(index)
        label = dialog.locator(f"label[for='{picker.get_attribute('id')}']")
        assert box(label)["bottom"] <= box(picker)["top"] + 0.5
        assert box(picker)["width"] >= content_width - 1
    consent, consent_label = (
        dialog.locator("[data-tryon-consent]"),
        dialog.locator(".tryon-consent label"),
    )
    tick, line = box(consent), box(consent_label)
    assert line["top"] <= tick["top"] and tick["bottom"] <= line["top"] + TARGET
    assert (
        line["left"] <= tick["left"] and tick["right"] <= line["right"]
    )  # tapping it hits the label
    controls = [c for c in layout["controls"] if "checkbox" not in c["name"]]
    for i, first in enumerate(controls):
        for second in controls[i + 1 :]:
            overlap = min(first["bottom"], second["bottom"]) - max(first["top"], second["top"])
            across = min(first["right"], second["right"]) - max(first["left"], second["left"])
            assert overlap <= 0.5 or across <= 0.5, f"{first['name']} overlaps {second['name']}"
    screenshot(page, f"{size}-form")

    # A preset try-on: the result fits too, and the compare slider takes a thumb.
    preset_tryon(page, dialog)
    dialog.locator("[data-tryon-download]").scroll_into_view_if_needed()
    assert_fits(measure(dialog), touch=True)
    dialog.locator("[data-tryon-compare]").scroll_into_view_if_needed()
    screenshot(page, f"{size}-result")
    check_compare_slider(page, dialog, rtl=False)


def test_phone_error_is_prominent_and_in_sight(new_page, tmp_path):
    """A refused photo on a small phone: the message shows where the shopper looks, though
    the widget moves focus back up to the chosen model (issue 11)."""
    photo = tmp_path / "me.jpg"
    photo.write_bytes(images.person_photo(600, 900))
    page = new_page(PHONES["360x740"], phone=True)
    page.recorder.expected.add("/tryon/api/tryons/")
    message = "The image is too small: it must be at least 256×256 pixels."
    page.route(
        "**/tryon/api/tryons/",
        lambda route: route.fulfill(
            status=400, content_type="application/json", body=json.dumps({"model_image": [message]})
        ),
    )
    page.goto(PRODUCT)
    dialog = open_dialog(page, own_photo=True)
    dialog.locator("[data-tryon-file]").first.set_input_files(str(photo))
    dialog.locator("[data-tryon-consent]").check()
    dialog.locator("[data-tryon-form] [type=submit]").click()
    alert = dialog.get_by_role("alert")
    alert.wait_for()
    assert message in alert.inner_text()
    page.wait_for_timeout(300)  # any scrolling settles
    where, frame = box(alert), box(dialog)
    assert where["top"] >= frame["top"] - 0.5 and where["bottom"] <= frame["bottom"] + 0.5, (
        f"the error is outside the dialog's visible part: {where} {frame}"
    )
    assert where["bottom"] <= page.viewport_size["height"]
    # Focus is on the message itself (announced where the shopper is looking), or on a
    # control the message does not cover.
    on_alert = page.evaluate("() => document.activeElement.closest('[role=alert]') !== null")
    focused = page.evaluate("() => document.activeElement.getBoundingClientRect().toJSON()")
    clear = focused["bottom"] <= where["top"] or focused["top"] >= where["bottom"]
    assert on_alert or clear, f"the error covers the focused control: {focused} {where}"
    style = alert.evaluate(
        "el => { const s = getComputedStyle(el); return {background: s.backgroundColor,"
        " edge: parseFloat(s.borderInlineStartWidth), weight: Number(s.fontWeight)}; }"
    )
    assert style["background"] not in ("rgba(0, 0, 0, 0)", "transparent"), style
    assert style["edge"] >= 4 and style["weight"] >= 600, style
    screenshot(page, "360x740-error")


def test_desktop_dialog_keeps_its_roomy_layout(new_page):
    page = new_page(DESKTOP, phone=False)
    page.goto(PRODUCT)
    dialog = open_dialog(page, own_photo=True)
    layout = measure(dialog)
    assert_fits(layout, touch=False)
    frame, viewport = layout["dialog"], layout["viewport"]
    assert 600 <= frame["width"] <= 641, "40rem wide on a desktop"
    assert abs(frame["left"] - (viewport["width"] - frame["right"])) <= 2, "centred"
    # Labels beside their pickers, a submit button sized to its text.
    picker = dialog.locator("[data-tryon-file]").first
    label = dialog.locator(f"label[for='{picker.get_attribute('id')}']")
    assert box(label)["right"] <= box(picker)["left"]
    assert box(dialog.locator("[data-tryon-form] [type=submit]"))["width"] < frame["width"] / 2
    screenshot(page, "desktop-form")
    preset_tryon(page, dialog)
    assert_fits(measure(dialog), touch=False)
    screenshot(page, "desktop-result")


ARABIC = {  # selector -> text, as an Arabic translation would render them
    "[data-tryon-open]": "جرّبه",
    "[data-tryon-dialog] h2": "جرّب: تي شيرت أحمر",
    ".tryon-models legend": "من سيرتديه؟",
    ".tryon-model--own span:last-child": "صورتي",
    "[data-tryon-form] [type=submit]": "أنشئ تجربتي",
    ".tryon-compare__tag--before": "قبل",
    ".tryon-compare__tag--after": "بعد",
    ".tryon-compare__label": "قارن بين قبل وبعد",
    "[data-tryon-download]": "تنزيل",
    "[data-tryon-again]": "جرّب غيره",
    "[data-tryon-delete]": "حذف",
}


def test_right_to_left_arabic_mirrors_the_dialog(new_page):
    page = new_page(PHONES["390x844"], phone=True)
    page.goto(PRODUCT)
    # The example shop's base template has a fixed lang="en" (no LANGUAGE_BIDI): an Arabic
    # page is what a shop using {% get_current_language_bidi %} would serve.
    page.evaluate(
        """(texts) => {
          document.documentElement.lang = "ar";
          document.documentElement.dir = "rtl";
          for (const [selector, text] of Object.entries(texts))
            for (const el of document.querySelectorAll(selector)) el.textContent = text;
        }""",
        ARABIC,
    )
    dialog = open_dialog(page, own_photo=True)
    layout = measure(dialog)
    assert layout["dialog"]["direction"] == "rtl"
    assert layout["dialog"]["textAlign"] == "start"
    assert_fits(layout, touch=True)
    frame = layout["dialog"]
    close, title = box(dialog.locator("[data-tryon-close]")), box(dialog.locator("h2"))
    # The close button at the inline end (the left), the title at the start (the right).
    assert close["right"] <= title["left"]
    assert close["left"] - frame["left"] <= frame["paddingStart"]
    assert frame["right"] - title["right"] <= frame["paddingStart"] + 0.5
    # The first model card is the rightmost; each picker's button starts on the right.
    cards = dialog.locator(".tryon-model")
    assert box(cards.nth(0))["left"] > box(cards.nth(1))["left"]
    screenshot(page, "rtl-390x844-form")

    preset_tryon(page, dialog)
    assert_fits(measure(dialog), touch=True)
    before, after = (
        box(dialog.locator(f".tryon-compare__tag--{tag}")) for tag in ("before", "after")
    )
    assert before["left"] > after["right"], "'before' sits at the inline start (the right)"
    dialog.locator("[data-tryon-compare]").scroll_into_view_if_needed()
    screenshot(page, "rtl-390x844-result")
    check_compare_slider(page, dialog, rtl=True)


def test_strict_content_security_policy_a_whole_tryon_without_violations(new_page):
    page = new_page(DESKTOP, phone=False)
    response = page.goto(PRODUCT)
    assert response.headers["content-security-policy"] == STRICT_CSP
    # What the policy would block, named precisely: style attributes and inline scripts
    # (a JSON data block such as #tryon-strings is not a script and is allowed).
    inline = page.evaluate(
        """() => [
          ...[...document.querySelectorAll("[style]")].map((el) => el.outerHTML.slice(0, 160)),
          ...[...document.querySelectorAll("script:not([src]), style")]
            .filter((el) => el.tagName === "STYLE" || !/json/.test(el.type))
            .map((el) => el.outerHTML.slice(0, 160)),
        ]"""
    )
    assert inline == [], "inline style or script in the page's markup"
    # Listening since before the page's first script ran; this one confirms it listens now.
    page.evaluate(
        """() => document.addEventListener("securitypolicyviolation",
             (event) => (window.__lateViolations = (window.__lateViolations || 0) + 1))"""
    )
    dialog = open_dialog(page)
    preset_tryon(page, dialog)
    assert dialog.locator("[data-tryon-result]").is_visible()
    assert dialog.locator("[data-tryon-after]").evaluate("img => img.naturalWidth") > 0
    dialog.locator("[data-tryon-split]").fill("30")  # the split: set through the CSSOM
    assert page.recorder.violations() == []
    assert page.recorder.errors == []
    screenshot(page, "csp-result")

    # The policy is enforced and the recorder hears it: a style attribute is refused.
    page.evaluate("() => document.body.setAttribute('style', 'outline: 1px solid red')")
    page.wait_for_function("() => window.__cspViolations.length > 0")
    [violation] = page.recorder.violations()
    assert violation["directive"].startswith("style-src")
    assert page.evaluate("() => window.__lateViolations") == 1
    page.evaluate("() => { window.__cspViolations.length = 0; }")
    page.recorder.errors.clear()  # the console reported the refusal too
