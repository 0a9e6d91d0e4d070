"""What a photo check says: its findings, their stable codes and the shopper's words.

Every finding has a ``code`` (a stable slug an API client can switch on) and a
``message`` (a translatable sentence that tells the shopper what to do). The same code
has two messages: a refusal's (the photo cannot give a good result: take another) and a
warning's (it may give a poorer one: the shopper may go on).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

__all__ = [
    "BLURRED",
    "CODES",
    "FACE_CLOSEUP",
    "NO_PERSON",
    "PERSON_CODES",
    "SEVERAL_PEOPLE",
    "TOO_BRIGHT",
    "TOO_DARK",
    "TOO_SMALL",
    "Finding",
    "PhotoCheck",
    "Severity",
    "finding",
]

TOO_SMALL = "too_small"
BLURRED = "blurred"
TOO_DARK = "too_dark"
TOO_BRIGHT = "too_bright"
NO_PERSON = "no_person"
SEVERAL_PEOPLE = "several_people"
FACE_CLOSEUP = "face_closeup"

#: Every check, in the order findings are reported (also the keys of ``PHOTO_CHECKS``).
CODES: tuple[str, ...] = (
    TOO_SMALL,
    BLURRED,
    TOO_DARK,
    TOO_BRIGHT,
    NO_PERSON,
    SEVERAL_PEOPLE,
    FACE_CLOSEUP,
)
#: The checks that need person detection (the ``photo-check`` extra, OpenCV).
PERSON_CODES: frozenset[str] = frozenset({NO_PERSON, SEVERAL_PEOPLE, FACE_CLOSEUP})

Severity = Literal["refuse", "warn"]

_MESSAGES: dict[tuple[str, Severity], Promise] = {
    (TOO_SMALL, "refuse"): _(
        "This photo is too small to give a good result. Use a larger photo: one taken "
        "with your camera, not a thumbnail or a screenshot."
    ),
    (TOO_SMALL, "warn"): _(
        "This photo is small, so the result may look soft. A larger photo gives a sharper result."
    ),
    (BLURRED, "refuse"): _(
        "This photo is too blurred. Hold the camera still, make sure you are in focus, "
        "and take it again."
    ),
    (BLURRED, "warn"): _(
        "This photo looks slightly blurred, and the result may be too. A sharper photo "
        "gives a better result."
    ),
    (TOO_DARK, "refuse"): _(
        "This photo is too dark to see you. Take it again in more light, facing a window or a lamp."
    ),
    (TOO_DARK, "warn"): _(
        "This photo is quite dark, so the result may lose detail. More light gives a better result."
    ),
    (TOO_BRIGHT, "refuse"): _(
        "This photo is so bright that you can hardly be seen. Take it again out of "
        "direct sunlight, or without the flash."
    ),
    (TOO_BRIGHT, "warn"): _(
        "Parts of this photo are washed out by bright light. Softer, even light gives a "
        "better result."
    ),
    (NO_PERSON, "refuse"): _(
        "We could not find a person in this photo. Use a photo of yourself, from the "
        "waist up or full length, facing the camera."
    ),
    (NO_PERSON, "warn"): _(
        "We could not find a person in this photo. For the best result, use a photo of "
        "yourself from the waist up or full length, facing the camera."
    ),
    (SEVERAL_PEOPLE, "refuse"): _(
        "This photo shows more than one person. Use a photo with only you in it."
    ),
    (SEVERAL_PEOPLE, "warn"): _(
        "This photo may show more than one person. The result is best with only you in the picture."
    ),
    (FACE_CLOSEUP, "refuse"): _(
        "This photo is a close-up of a face. Step back so your upper body, from your "
        "head to your waist, is in the picture."
    ),
    (FACE_CLOSEUP, "warn"): _(
        "Your face fills much of this photo. Step back so more of your upper body is in "
        "the picture."
    ),
}


@dataclass(frozen=True)
class Finding:
    """One problem with a photo: a stable ``code`` and the shopper's ``message``."""

    code: str
    message: str | Promise

    def as_dict(self) -> dict[str, str]:
        """``{"code": ..., "message": ...}``, the message translated into the active language."""
        return {"code": self.code, "message": str(self.message)}


def finding(code: str, severity: Severity) -> Finding:
    """The finding for ``code`` with the message that fits a refusal or a warning."""
    return Finding(code, _MESSAGES[(code, severity)])


@dataclass(frozen=True)
class PhotoCheck:
    """The verdict on one photo.

    ``refusals``: what makes a good result impossible (no provider call may be made);
    ``warnings``: what may make it poorer (the shopper may go on). ``measures`` holds the
    figures the verdict came from, for logs and tuning; ``people_checked`` says whether
    person detection ran (OpenCV installed and at least one person check on).
    """

    refusals: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    measures: dict[str, float] = field(default_factory=dict)
    people_checked: bool = False

    @property
    def ok(self) -> bool:
        """True when nothing was refused (there may still be warnings)."""
        return not self.refusals

    @property
    def codes(self) -> list[str]:
        """The codes of every finding, refusals first."""
        return [item.code for item in (*self.refusals, *self.warnings)]
