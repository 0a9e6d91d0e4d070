"""``check_photo``: every check that is on, in one pass over one small grey picture."""

from __future__ import annotations

from .config import enabled_checks
from .detectors import detect_people, opencv_available
from .findings import (
    BLURRED,
    CODES,
    NO_PERSON,
    PERSON_CODES,
    TOO_BRIGHT,
    TOO_DARK,
    TOO_SMALL,
    Finding,
    PhotoCheck,
    finding,
)
from .people import main_face, person_verdicts
from .picture import analysis_picture
from .quality import Verdict, check_exposure, check_sharpness, check_size

__all__ = ["check_photo"]


def check_photo(
    image_bytes: bytes, *, checks: frozenset[str] | None = None, people: bool | None = None
) -> PhotoCheck:
    """Check a shopper's photo before any provider call.

    ``image_bytes`` is what :func:`tryon.images.normalize_image` made of the upload (any
    picture Pillow reads works, but the thresholds assume an upright image). ``checks``:
    the codes to run (default: those ``TRYON["PHOTO_CHECKS"]`` leaves on). ``people``:
    whether to run person detection (default: when OpenCV is usable; False forces the
    cheap checks only, as without the extra).

    Person detection is skipped when a cheap check already refused: the detectors are
    unreliable on such a picture, and the shopper has to take another photo anyway.
    """
    enabled = enabled_checks() if checks is None else checks
    picture = analysis_picture(image_bytes)
    measures: dict[str, float] = {}
    verdicts: list[Verdict] = []
    if TOO_SMALL in enabled:
        verdicts += check_size(picture, measures)
    if BLURRED in enabled:
        verdicts += check_sharpness(picture, measures)
    if TOO_DARK in enabled or TOO_BRIGHT in enabled:
        verdicts += check_exposure(
            picture, measures, dark=TOO_DARK in enabled, bright=TOO_BRIGHT in enabled
        )
    wanted = enabled & PERSON_CODES
    if people is None:
        people = opencv_available()
    refused = any(severity == "refuse" for _, severity in verdicts)
    people_checked = bool(people and wanted and not refused)
    if people_checked:
        found = detect_people(picture.grey, bodies=NO_PERSON in wanted)
        measures["faces"] = len(found.faces)
        shopper = main_face(found)
        if shopper is not None:
            measures["face_height"] = round(shopper.box[3] / found.height, 3)
        verdicts += person_verdicts(found, wanted)
    return _result(verdicts, measures, people_checked)


def _result(verdicts: list[Verdict], measures: dict[str, float], people: bool) -> PhotoCheck:
    order = {code: index for index, code in enumerate(CODES)}
    verdicts.sort(key=lambda item: order[item[0]])
    refusals: list[Finding] = [finding(code, "refuse") for code, sev in verdicts if sev == "refuse"]
    warnings: list[Finding] = [finding(code, "warn") for code, sev in verdicts if sev == "warn"]
    return PhotoCheck(
        refusals=refusals, warnings=warnings, measures=measures, people_checked=people
    )
