"""The person checks' rules, from what the detectors found (no OpenCV needed here).

- ``no_person``: no face, profile or body found. Only ever a warning: the detectors miss
  people (a face turned away, a dark coat on a dark wall), and a refusal would turn away
  a photo that works.
- ``face_closeup``: the shopper's face (the strongest, confirmed ones first) is tall
  against the frame, so the body the garment goes on is missing. Refused when it is
  confirmed and at least ``CLOSEUP_REFUSE`` of the picture's height (a passport photo, a
  close selfie); a warning from ``CLOSEUP_WARN``, or for a large profile.
  In a half-body photo the face box is about a fifth of the height, in a full-length
  one a tenth.
- ``several_people``: a second confirmed face apart from the shopper's (one cascade
  alone, or a handful of agreeing windows, sees faces in collars and badges, so those do
  not count). Refused when it is about as large and as strong (``SIMILAR_FACE``,
  ``SIMILAR_STRENGTH``: which person would wear the garment?); a warning when it is
  smaller (``BACKGROUND_FACE``, ``BACKGROUND_STRENGTH``: someone behind the shopper) or
  when two profiles of similar size are all that was found. Smaller faces still are
  ignored: passers-by.
"""

from __future__ import annotations

from .detectors import Detections, Face, overlap
from .findings import FACE_CLOSEUP, NO_PERSON, SEVERAL_PEOPLE
from .quality import Verdict

__all__ = ["main_face", "person_verdicts"]

#: Face box height / picture height from which a face close-up is refused.
CLOSEUP_REFUSE = 0.40
#: ... and from which it is a warning.
CLOSEUP_WARN = 0.28
#: A second face at least this share of the main face's height is a second shopper.
SIMILAR_FACE = 0.6
#: A second face at least this share is someone near enough to matter (a warning).
BACKGROUND_FACE = 0.35
#: The second face's strength (agreeing windows) against the main face's, for each.
SIMILAR_STRENGTH = 0.4
BACKGROUND_STRENGTH = 0.2


def person_verdicts(found: Detections, enabled: frozenset[str]) -> list[Verdict]:
    """The person checks' verdicts, for the checks in ``enabled``."""
    verdicts: list[Verdict] = []
    if NO_PERSON in enabled and not found.anyone:
        verdicts.append((NO_PERSON, "warn"))
    if SEVERAL_PEOPLE in enabled:
        verdicts += _several_people(found)
    if FACE_CLOSEUP in enabled:
        verdicts += _closeup(found)
    return verdicts


def main_face(found: Detections) -> Face | None:
    """The shopper's face: the strongest one, confirmed ones first."""
    if not found.faces:
        return None
    return max(found.faces, key=lambda face: (face.confirmed, face.strength))


def _closeup(found: Detections) -> list[Verdict]:
    main = main_face(found)
    if main is not None:
        share, confirmed = main.box[3] / found.height, main.confirmed
    elif found.profiles:
        share, confirmed = max(box[3] for box in found.profiles) / found.height, False
    else:
        return []
    if share >= CLOSEUP_REFUSE and confirmed:
        return [(FACE_CLOSEUP, "refuse")]
    if share >= CLOSEUP_WARN:
        return [(FACE_CLOSEUP, "warn")]
    return []


def _several_people(found: Detections) -> list[Verdict]:
    main = main_face(found)
    if main is not None:
        return _several_faces(main, found.faces)
    profiles = sorted(found.profiles, key=lambda box: box[3], reverse=True)
    if len(profiles) > 1 and profiles[1][3] >= SIMILAR_FACE * profiles[0][3]:
        return [(SEVERAL_PEOPLE, "warn")]
    return []


def _several_faces(main: Face, faces: tuple[Face, ...]) -> list[Verdict]:
    verdict: list[Verdict] = []
    for other in faces:
        # Only confirmed faces, and not much weaker than the shopper's, count: one
        # cascade alone, or a handful of windows, sees faces in collars and badges.
        if other is main or not other.confirmed or overlap(main.box, other.box) > 0:
            continue
        strength = other.strength / main.strength
        size = other.box[3] / main.box[3]
        if size >= SIMILAR_FACE and strength >= SIMILAR_STRENGTH and main.confirmed:
            return [(SEVERAL_PEOPLE, "refuse")]
        if size >= BACKGROUND_FACE and strength >= BACKGROUND_STRENGTH:
            verdict = [(SEVERAL_PEOPLE, "warn")]
    return verdict
