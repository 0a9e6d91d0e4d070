"""The photo check: its rules on pictures with known answers, its settings, its API helpers.

The generated set (``tests/photo_cases.py``) needs scikit-image's sample photographs;
person detection needs OpenCV 4.x (the ``photo-check`` extra). Each is skipped without
them; everything else runs on pictures drawn here with Pillow.
"""

from __future__ import annotations

import io
import sys
import threading
import types
from functools import cache

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils.functional import Promise
from PIL import Image, ImageFilter

from tests import photo_cases
from tests.images import person_image, photo_like
from tryon.exceptions import TryOnConfigurationError
from tryon.images import normalize_image
from tryon.photocheck import (
    CODES,
    PERSON_CODES,
    WARNINGS_NOT_ACCEPTED,
    Finding,
    PhotoCheck,
    check_photo,
    enabled_checks,
    opencv_available,
    opencv_problem,
    photo_check_payload,
    photo_checks_problems,
    photo_error_details,
    photo_errors,
    photo_validation_error,
    photo_warnings,
)
from tryon.photocheck import detectors as detectors_module
from tryon.photocheck.detectors import Detections, Face
from tryon.photocheck.findings import finding
from tryon.photocheck.people import person_verdicts

needs_photos = pytest.mark.skipif(
    not photo_cases.available(), reason="scikit-image's sample photographs are not installed"
)
needs_opencv = pytest.mark.skipif(
    not opencv_available(), reason="OpenCV 4.x (the photo-check extra) is not installed"
)


def tryon_settings(**values: object) -> override_settings:
    return override_settings(TRYON={**settings.TRYON, **values})


def jpeg(img: Image.Image, quality: int = 92) -> bytes:
    buffer = io.BytesIO()
    img.convert("RGB").save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def cheap(img: Image.Image) -> PhotoCheck:
    """The cheap checks only, on the normalised upload."""
    return check_photo(normalize_image(jpeg(img)).content, people=False)


def verdict(check: PhotoCheck) -> str:
    return "refuse" if check.refusals else "warn" if check.warnings else "ok"


# -- the generated set with known answers ----------------------------------------------

CASES = {case.name: case for case in photo_cases.cases()}


@cache
def upload(name: str) -> bytes:
    """A case as the app would check it: the shopper's JPEG, normalised."""
    return normalize_image(CASES[name].jpeg()).content


@cache
def checked(name: str, people: bool) -> PhotoCheck:
    return check_photo(upload(name), people=people)


@needs_photos
@pytest.mark.parametrize("name", list(CASES))
def test_cheap_checks_on_the_generated_set(name: str) -> None:
    check = checked(name, people=False)
    expected, codes = CASES[name].expected(people=False)
    assert (verdict(check), sorted(check.codes)) == (expected, sorted(codes)), check.measures
    assert not check.people_checked


@needs_photos
@needs_opencv
@pytest.mark.parametrize("name", list(CASES))
def test_all_checks_on_the_generated_set(name: str) -> None:
    check = checked(name, people=True)
    expected, codes = CASES[name].expected(people=True)
    assert (verdict(check), sorted(check.codes)) == (expected, sorted(codes)), check.measures
    # Person detection is skipped once a cheap check refused: the shopper retakes anyway.
    cheap_refusals = [item for item in check.refusals if item.code not in PERSON_CODES]
    assert check.people_checked == (not cheap_refusals)


@needs_photos
@pytest.mark.parametrize("people", [False, True])
def test_no_photo_that_could_work_is_refused(people: bool) -> None:
    if people and not opencv_available():
        pytest.skip("OpenCV 4.x is not installed")
    wrongly_refused = [
        name
        for name, case in CASES.items()
        if case.verdict != "refuse" and checked(name, people).refusals
    ]
    assert wrongly_refused == []


@needs_photos
def test_a_known_miss_is_documented_not_hidden() -> None:
    missed = [case for case in CASES.values() if case.known_miss]
    assert missed, "the set keeps the cases the detectors get wrong"
    for case in missed:
        assert case.known_miss is not None and case.known_miss[2]  # says why


# -- cheap checks on drawn pictures (no optional package needed) -----------------------


def test_a_sharp_well_lit_picture_passes() -> None:
    check = cheap(person_image(800, 1200))
    assert check.ok and check.refusals == [] and check.warnings == []
    assert check.measures["short_side"] == 800


@pytest.mark.parametrize(
    ("side", "expected"), [(300, "refuse"), (383, "refuse"), (384, "warn"), (511, "warn")]
)
def test_too_small(side: int, expected: str) -> None:
    check = cheap(person_image(side, side * 3 // 2))
    assert verdict(check) == expected
    assert check.codes == ["too_small"]


@pytest.mark.parametrize(("radius", "expected"), [(0, "ok"), (5, "warn"), (14, "refuse")])
def test_blurred(radius: int, expected: str) -> None:
    img = person_image(800, 1200)
    if radius:
        img = img.filter(ImageFilter.GaussianBlur(radius))
    check = cheap(img)
    assert verdict(check) == expected, check.measures
    assert check.codes == ([] if expected == "ok" else ["blurred"])


def test_a_flat_picture_is_not_called_blurred() -> None:
    check = cheap(Image.new("RGB", (800, 1200), (120, 110, 100)))
    assert check.codes == []
    assert "sharpness" not in check.measures


@pytest.mark.parametrize(("factor", "expected"), [(1.0, "ok"), (0.3, "warn"), (0.1, "refuse")])
def test_too_dark(factor: float, expected: str) -> None:
    img = photo_like(800, 1200).point(lambda v: round(v * factor))
    img = Image.blend(img, person_image(800, 1200).point(lambda v: round(v * factor)), 0.5)
    check = cheap(img)
    assert verdict(check) == expected, check.measures
    assert check.codes == ([] if expected == "ok" else ["too_dark"])


@pytest.mark.parametrize(("floor", "expected"), [(0, "ok"), (190, "warn"), (230, "refuse")])
def test_too_bright(floor: int, expected: str) -> None:
    img = person_image(800, 1200).point(lambda v: floor + v * (255 - floor) // 255)
    check = cheap(img)
    assert verdict(check) == expected, check.measures
    assert check.codes == ([] if expected == "ok" else ["too_bright"])


def test_a_plain_light_wall_is_not_too_bright() -> None:
    assert cheap(Image.new("RGB", (800, 1200), (185, 180, 175))).codes == []


def test_blown_out_highlights_are_only_a_warning() -> None:
    img = person_image(800, 1200)
    img.paste((255, 255, 255), (0, 0, 800, 600))  # half the frame pure white: a backdrop?
    check = cheap(img)
    assert (check.ok, check.codes) == (True, ["too_bright"])


# -- settings ----------------------------------------------------------------------------


def test_every_check_is_on_by_default() -> None:
    assert enabled_checks() == frozenset(CODES)


def test_a_check_can_be_turned_off() -> None:
    dark = jpeg(person_image(800, 1200).point(lambda v: v // 10))
    content = normalize_image(dark).content
    assert check_photo(content, people=False).codes == ["too_dark"]
    with tryon_settings(PHOTO_CHECKS={"too_dark": False}):
        assert "too_dark" not in enabled_checks()
        assert check_photo(content, people=False).codes == []


@pytest.mark.parametrize("value", [False])
def test_all_checks_can_be_turned_off(value: object) -> None:
    with tryon_settings(PHOTO_CHECKS=value):
        assert enabled_checks() == frozenset()
        check = check_photo(jpeg(person_image(200, 300)))
    assert (check.codes, check.people_checked, check.measures) == ([], False, {})


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ({"blurry": False}, "unknown check 'blurry'"),
        ({"blurred": "no"}, "['blurred'] must be True or False"),
        (["blurred"], "must be a dict"),
    ],
)
def test_a_wrong_setting_names_the_key(value: object, fragment: str) -> None:
    assert any(fragment in problem for problem in photo_checks_problems(value))
    with tryon_settings(PHOTO_CHECKS=value), pytest.raises(TryOnConfigurationError) as raised:
        check_photo(jpeg(person_image()))
    assert fragment in str(raised.value) and "PHOTO_CHECKS" in str(raised.value)


def test_person_checks_off_means_no_detection() -> None:
    off = dict.fromkeys(PERSON_CODES, False)
    with tryon_settings(PHOTO_CHECKS=off):
        check = check_photo(jpeg(person_image(800, 1200)))
    assert not check.people_checked


# -- without OpenCV ------------------------------------------------------------------------


def test_without_opencv_only_the_cheap_checks_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cv2", None)  # import cv2 raises ImportError
    detectors_module.opencv_available.cache_clear()
    try:
        assert detectors_module.opencv_available() is False
        check = check_photo(jpeg(Image.new("RGB", (800, 1200), (120, 110, 100))))
    finally:
        detectors_module.opencv_available.cache_clear()
    assert not check.people_checked
    assert check.codes == []  # no "no_person" without a detector


def test_opencv_without_its_detectors_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    # OpenCV 5's main wheel: no Haar cascades, no HOG detector.
    monkeypatch.setitem(sys.modules, "cv2", types.SimpleNamespace(__version__="5.0.0"))
    detectors_module.opencv_available.cache_clear()
    try:
        problem = opencv_problem()
        assert detectors_module.opencv_available() is False
    finally:
        detectors_module.opencv_available.cache_clear()
    assert problem is not None and "OpenCV 5.0.0" in problem and "<5" in problem


@needs_opencv
def test_the_installed_opencv_has_its_detectors() -> None:
    assert opencv_problem() is None


# -- the person rules, on made-up detections -----------------------------------------------

ALL = frozenset(PERSON_CODES)


def face(x: int, height: int, strength: int = 40, confirmed: bool = True, y: int = 40) -> Face:
    return Face((x, y, height, height), strength, confirmed)


def rules(*faces: Face, profiles: tuple[tuple[int, int, int, int], ...] = ()) -> list[tuple]:
    return person_verdicts(Detections(400, 400, faces=faces, profiles=profiles), ALL)


def test_nobody_found_is_a_warning_never_a_refusal() -> None:
    assert rules() == [("no_person", "warn")]
    body = Detections(400, 400, bodies=((100, 20, 120, 340),))
    assert person_verdicts(body, ALL) == []


@pytest.mark.parametrize(
    ("height", "confirmed", "expected"),
    [
        (76, True, []),  # a half-body portrait: a fifth of the height
        (112, True, [("face_closeup", "warn")]),
        (160, True, [("face_closeup", "refuse")]),
        (160, False, [("face_closeup", "warn")]),  # one cascade alone never refuses
    ],
)
def test_face_closeup(height: int, confirmed: bool, expected: list[tuple]) -> None:
    assert rules(face(100, height, confirmed=confirmed)) == expected


@pytest.mark.parametrize(
    ("second", "expected"),
    [
        (face(250, 70, strength=35), [("several_people", "refuse")]),
        (face(250, 40, strength=20), [("several_people", "warn")]),  # someone behind
        (face(250, 20, strength=20), []),  # a passer-by far away
        (face(250, 70, strength=35, confirmed=False), []),  # one cascade alone
        (face(250, 70, strength=5), []),  # a handful of windows: a collar, a badge
        (face(120, 70, strength=35), []),  # overlaps the first: the same person
    ],
)
def test_several_people(second: Face, expected: list[tuple]) -> None:
    assert rules(face(100, 76), second) == expected


def test_two_profiles_alike_are_a_warning() -> None:
    assert rules(profiles=((20, 40, 80, 80), (250, 40, 70, 70))) == [("several_people", "warn")]


# -- findings and the REST helpers ----------------------------------------------------------


def test_every_code_has_a_refusal_and_a_warning_message() -> None:
    for code in CODES:
        for severity in ("refuse", "warn"):
            message = finding(code, severity).message  # type: ignore[arg-type]
            assert isinstance(message, Promise), "translatable, resolved when shown"
            assert str(message).endswith(".")


def test_rest_helpers() -> None:
    check = PhotoCheck(
        refusals=[finding("blurred", "refuse")], warnings=[finding("too_small", "warn")]
    )
    assert not check.ok
    assert photo_errors(check) == [str(finding("blurred", "refuse").message)]
    (detail,) = photo_error_details(check)
    assert (detail.code, str(detail)) == ("blurred", photo_errors(check)[0])
    assert photo_warnings(check) == [
        {"code": "too_small", "message": str(finding("too_small", "warn").message)}
    ]
    assert Finding("x", "y").as_dict() == {"code": "x", "message": "y"}
    assert PhotoCheck().ok


def test_the_validation_error_to_answer() -> None:
    warned = PhotoCheck(warnings=[finding("too_dark", "warn")])
    refused = PhotoCheck(
        refusals=[finding("face_closeup", "refuse")], warnings=[finding("too_dark", "warn")]
    )
    payload = {
        "refusals": [finding("face_closeup", "refuse").as_dict()],
        "warnings": [finding("too_dark", "warn").as_dict()],
    }
    assert photo_validation_error(PhotoCheck(), accept_warnings=False) is None
    assert photo_validation_error(warned, accept_warnings=True) is None
    for accept in (True, False):  # a refusal is never accepted
        error = photo_validation_error(refused, accept_warnings=accept)
        assert error is not None
        assert error.detail["model_image"] == photo_errors(refused)  # type: ignore[index]
        assert error.get_codes()["model_image"] == ["face_closeup"]  # type: ignore[index]
        assert photo_check_payload(refused) == payload
    error = photo_validation_error(warned, accept_warnings=False)
    assert error is not None
    assert error.get_codes()["accept_warnings"] == ["photo_warnings"]  # type: ignore[index]
    assert str(error.detail["accept_warnings"][0]) == str(WARNINGS_NOT_ACCEPTED)  # type: ignore[index]
    assert "model_image" not in error.detail  # type: ignore[operator]


@needs_photos
@needs_opencv
def test_checks_from_several_threads_agree() -> None:
    names = ["two people", "face close-up", "half-body portrait", "someone behind"]
    expected = {name: checked(name, people=True).codes for name in names}
    results: dict[str, list[str]] = {}

    def run(name: str) -> None:
        results[name] = check_photo(upload(name)).codes

    threads = [threading.Thread(target=run, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == expected
