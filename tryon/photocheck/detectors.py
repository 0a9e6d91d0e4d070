"""Finding faces and bodies with the detectors that ship inside OpenCV's wheel.

Only what ``opencv-python-headless`` 4.x carries is used: its Haar cascades
(``cv2.data.haarcascades``: frontal and profile faces) and its HOG pedestrian detector.
Nothing is downloaded at run time. OpenCV 5 moved both detectors out of the main wheel:
there, as without OpenCV at all, :func:`opencv_available` is False and only the cheap
checks run.

Detectors miss people and see faces in collars, badges and fabric, so what they find is
graded: each frontal face has a ``strength`` (how many overlapping windows of the
cascade agreed: a real face of fair size gets tens, a false one a handful) and is
*confirmed* when a second, differently trained cascade finds it too. The rules in
``people`` lean on both. Work is saved where the answer is already known: profiles are
looked for only when no frontal face was found, bodies only when no face at all was.
"""

from __future__ import annotations

import functools
import os
import threading
from dataclasses import dataclass
from typing import Any

from PIL import Image

__all__ = [
    "Box",
    "Detections",
    "Face",
    "detect_people",
    "opencv_available",
    "opencv_problem",
    "overlap",
]

#: x, y, width, height, in pixels of the picture the detectors scanned.
Box = tuple[int, int, int, int]

_CASCADES = {
    "face": "haarcascade_frontalface_default.xml",
    "face_check": "haarcascade_frontalface_alt2.xml",
    "profile": "haarcascade_profileface.xml",
}
#: Long side of the picture scanned for frontal faces: the cascades' cost grows with the
#: pixel count; a face in a full-length photo is still about 40 px tall at this size.
FACE_SIDE = 384
#: ... and for profiles and bodies, only looked for when no frontal face was found.
FALLBACK_SIDE = 320
#: Smallest face looked for, in scanned pixels (the cascades' window is 20-24 px).
FACE_MIN_SIDE = 20
#: Each step between the scales scanned (OpenCV's ``scaleFactor``).
SCALE_STEP = 1.1
#: A frontal face needs at least this many agreeing windows to be kept at all.
FACE_MIN_STRENGTH = 5
#: HOG detections weaker than this are ignored (its default threshold admits clutter).
HOG_MIN_WEIGHT = 0.5
#: Two boxes are one when this share of the smaller lies inside the larger.
SAME_BOX_OVERLAP = 0.5


@dataclass(frozen=True)
class Face:
    box: Box
    #: How many overlapping detection windows agreed on this face.
    strength: int
    #: A second, differently trained frontal-face cascade found it too.
    confirmed: bool


@dataclass(frozen=True)
class Detections:
    """What was found in a ``width`` x ``height`` scanned picture."""

    width: int
    height: int
    faces: tuple[Face, ...] = ()
    profiles: tuple[Box, ...] = ()
    bodies: tuple[Box, ...] = ()

    @property
    def anyone(self) -> bool:
        return bool(self.faces or self.profiles or self.bodies)


def _cv2() -> Any:
    import cv2  # type: ignore[import-untyped,unused-ignore]

    return cv2


def opencv_problem() -> str | None:
    """Why person detection cannot run here, in a sentence; None when it can.

    For a system check: OpenCV missing is a choice (the extra is optional), but OpenCV
    installed without its detectors is a surprise worth a warning.
    """
    try:
        cv2 = _cv2()
    except ImportError:  # not installed, or a build whose native libraries are missing
        return "OpenCV is not installed (the photo-check extra)."
    folder = getattr(getattr(cv2, "data", None), "haarcascades", None)
    if not folder or not hasattr(cv2, "CascadeClassifier") or not hasattr(cv2, "HOGDescriptor"):
        version = getattr(cv2, "__version__", "?")
        return (
            f"OpenCV {version} has no Haar cascades or HOG detector (OpenCV 5 moved them "
            "out of the main wheel): install opencv-python-headless>=4.9,<5."
        )
    missing = [
        name for name in _CASCADES.values() if not os.path.isfile(os.path.join(folder, name))
    ]
    if missing:
        return f"OpenCV's cascade files are missing from {folder}: {', '.join(missing)}."
    return None


@functools.cache
def opencv_available() -> bool:
    """Whether OpenCV with its cascades and HOG detector can be used in this process."""
    return opencv_problem() is None


class _Detectors:
    """One set of loaded detectors. OpenCV does not promise that one classifier may be
    used from two threads at once, so each thread loads its own (see ``_detectors``)."""

    def __init__(self) -> None:
        cv2 = _cv2()
        folder = cv2.data.haarcascades
        self.cascades = {
            key: cv2.CascadeClassifier(os.path.join(folder, name))
            for key, name in _CASCADES.items()
        }
        self.hog = cv2.HOGDescriptor()
        self.hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())

    def find(
        self, key: str, pixels: Any, *, neighbours: int, min_side: int
    ) -> list[tuple[Box, int]]:
        """Boxes found by one cascade, each with its number of agreeing windows."""
        boxes, counts = self.cascades[key].detectMultiScale2(
            pixels,
            scaleFactor=SCALE_STEP,
            minNeighbors=neighbours,
            minSize=(min_side, min_side),
        )
        return [(_box(box), int(count)) for box, count in zip(boxes, counts, strict=False)]


_local = threading.local()


def _detectors() -> _Detectors:
    detectors: _Detectors | None = getattr(_local, "detectors", None)
    if detectors is None:
        detectors = _local.detectors = _Detectors()
    return detectors


def _box(values: Any) -> Box:
    x, y, w, h = (int(v) for v in values)
    return (x, y, w, h)


def overlap(a: Box, b: Box) -> float:
    """The share of the smaller box that lies inside the other (0: apart, 1: nested)."""
    width = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    height = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    return width * height / min(a[2] * a[3], b[2] * b[3])


def _distinct(found: list[tuple[Box, int]]) -> list[tuple[Box, int]]:
    """``found`` less the boxes that repeat a stronger one (strongest first)."""
    kept: list[tuple[Box, int]] = []
    for box, count in sorted(found, key=lambda item: item[1], reverse=True):
        if all(overlap(box, other) < SAME_BOX_OVERLAP for other, _ in kept):
            kept.append((box, count))
    return kept


def _scaled(grey: Image.Image, side: int) -> Any:
    import numpy

    if max(grey.size) > side:
        grey = grey.copy()
        grey.thumbnail((side, side), Image.Resampling.BOX)
    return numpy.asarray(grey, dtype=numpy.uint8)


def _confirmed(detectors: _Detectors, pixels: Any, box: Box) -> bool:
    """Whether the second face cascade finds a face where the first did (it scans only
    the face and a margin around it, which costs little)."""
    x, y, w, h = box
    height, width = pixels.shape[:2]
    left, top = max(0, x - w // 2), max(0, y - h // 2)
    right, bottom = min(width, x + w + w // 2), min(height, y + h + h // 2)
    found = detectors.find(
        "face_check",
        pixels[top:bottom, left:right],
        neighbours=3,
        min_side=max(FACE_MIN_SIDE, int(w * 0.6)),
    )
    return any(
        overlap((fx + left, fy + top, fw, fh), box) >= SAME_BOX_OVERLAP
        for (fx, fy, fw, fh), _ in found
    )


def _frontal_faces(detectors: _Detectors, pixels: Any) -> list[Face]:
    found = detectors.find("face", pixels, neighbours=3, min_side=FACE_MIN_SIDE)
    return [
        Face(box, count, _confirmed(detectors, pixels, box))
        for box, count in _distinct(found)
        if count >= FACE_MIN_STRENGTH
    ]


def _profiles(detectors: _Detectors, pixels: Any) -> list[Box]:
    """Faces seen from the side; the cascade knows one side, so the mirror image too."""
    width = pixels.shape[1]
    found = detectors.find("profile", pixels, neighbours=5, min_side=FACE_MIN_SIDE)
    mirrored = detectors.find(
        "profile", _cv2().flip(pixels, 1), neighbours=5, min_side=FACE_MIN_SIDE
    )
    found += [((width - x - w, y, w, h), count) for (x, y, w, h), count in mirrored]
    return [box for box, _ in _distinct(found)]


def _bodies(detectors: _Detectors, pixels: Any) -> list[Box]:
    """Standing people (HOG, which needs 64x128 pixels at least)."""
    height, width = pixels.shape[:2]
    if width < 64 or height < 128:
        return []
    boxes, weights = detectors.hog.detectMultiScale(
        pixels, winStride=(8, 8), padding=(8, 8), scale=SCALE_STEP
    )
    found = [
        (_box(box), 1)
        for box, weight in zip(boxes, weights, strict=False)
        if float(weight) >= HOG_MIN_WEIGHT
    ]
    return [box for box, _ in _distinct(found)]


def detect_people(grey: Image.Image, *, bodies: bool = True) -> Detections:
    """Faces (frontal, else profile) and, when no face and ``bodies``, standing people.

    Boxes are in the pixels of the frontal scan (``FACE_SIDE``). Call only when
    :func:`opencv_available` is True.
    """
    cv2 = _cv2()
    detectors = _detectors()
    # Equalised: faces in dim or hazy light keep the contrast the cascades were trained on.
    pixels = cv2.equalizeHist(_scaled(grey, FACE_SIDE))
    height, width = pixels.shape[:2]
    faces = tuple(_frontal_faces(detectors, pixels))
    if faces:
        return Detections(width, height, faces=faces)
    small = _scaled(grey, FALLBACK_SIDE)
    profiles = _profiles(detectors, cv2.equalizeHist(small))
    found = _bodies(detectors, small) if bodies and not profiles else []
    factor = width / small.shape[1]
    return Detections(
        width,
        height,
        profiles=tuple(_rescaled(box, factor) for box in profiles),
        bodies=tuple(_rescaled(box, factor) for box in found),
    )


def _rescaled(box: Box, factor: float) -> Box:
    x, y, w, h = (round(value * factor) for value in box)
    return (x, y, w, h)
