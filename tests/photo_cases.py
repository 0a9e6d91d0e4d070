"""Generated pictures with known answers, for the photo check's tests and its bench.

Real people come from scikit-image's wheel, which ships a few photographs as files
(``skimage/data``): ``astronaut.png`` (Eileen Collins, a half-body portrait facing the
camera, NASA, public domain) and ``camera.png`` (a man behind a tripod, in profile), plus
pictures without people (``coffee.png``, ``chelsea.png``: a cat, ``rocket.jpg``,
``motorcycle_left.png``). They are read as files, so scikit-image is never imported;
without it, :func:`available` is False and the tests that need them skip. Every other
case is derived from them with Pillow: cropped to a face, blurred, darkened, washed out,
shrunk, tiled side by side.

Each case has the *true* answer (what a perfect check would say) and, where this check's
detectors are known to get it wrong, ``known_miss`` says what they answer instead and
why. The bench counts both.
"""

from __future__ import annotations

import importlib.util
import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from PIL import Image, ImageFilter, ImageOps

from tests.images import person_image, photo_like

Verdict = Literal["ok", "warn", "refuse"]
PERSON_CODES = frozenset({"no_person", "several_people", "face_closeup"})


@dataclass(frozen=True)
class PhotoCase:
    name: str
    make: Callable[[], Image.Image]
    #: The true verdict and the codes of its findings.
    verdict: Verdict
    codes: tuple[str, ...] = ()
    #: What the detectors answer instead, and why (empty: they get it right).
    known_miss: tuple[Verdict, tuple[str, ...], str] | None = None

    def expected(self, people: bool) -> tuple[Verdict, tuple[str, ...]]:
        """The verdict and codes this check should give, with or without person detection."""
        if not people:
            codes = tuple(code for code in self.codes if code not in PERSON_CODES)
            if codes == self.codes:
                return self.verdict, codes
            return (
                "refuse" if self.verdict == "refuse" and codes else "warn" if codes else "ok"
            ), codes
        if self.known_miss:
            return self.known_miss[0], self.known_miss[1]
        return self.verdict, self.codes

    def jpeg(self) -> bytes:
        """The case as the shopper's upload: a JPEG at quality 92."""
        buffer = io.BytesIO()
        self.make().convert("RGB").save(buffer, "JPEG", quality=92)
        return buffer.getvalue()


# -- the source photographs -------------------------------------------------------------


def _data_folder() -> Path | None:
    spec = importlib.util.find_spec("skimage")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "data"
    return folder if (folder / "astronaut.png").is_file() else None


def available() -> bool:
    """Whether the photographs are installed (scikit-image, the test extra)."""
    return _data_folder() is not None


@cache
def photo(name: str) -> Image.Image:
    folder = _data_folder()
    if folder is None:
        raise LookupError("scikit-image's sample photographs are not installed")
    with Image.open(folder / name) as img:
        return img.convert("RGB")


def astronaut(side: int = 1024) -> Image.Image:
    """The half-body portrait, enlarged to a phone photo's detail at the analysis size."""
    return photo("astronaut.png").resize((side, side), Image.Resampling.LANCZOS)


def enlarged(name: str, factor: float = 2) -> Image.Image:
    img = photo(name)
    size = (round(img.width * factor), round(img.height * factor))
    return img.resize(size, Image.Resampling.LANCZOS)


# -- the transformations ----------------------------------------------------------------


def gain(img: Image.Image, factor: float) -> Image.Image:
    """Exposure times ``factor``, clipped at white (under- or over-exposure)."""
    return img.point(lambda v: min(255, round(v * factor)))


def haze(img: Image.Image, floor: int) -> Image.Image:
    """Every level lifted towards white from ``floor``: fog, glare, a washed-out photo."""
    return img.point(lambda v: floor + v * (255 - floor) // 255)


def side_by_side(*pictures: Image.Image, background: int = 120) -> Image.Image:
    """Pictures next to each other, bottoms aligned, on a grey ground."""
    width = sum(img.width for img in pictures)
    height = max(img.height for img in pictures)
    canvas = Image.new("RGB", (width, height), (background,) * 3)
    x = 0
    for img in pictures:
        canvas.paste(img, (x, height - img.height))
        x += img.width
    return canvas


def _crop(img: Image.Image, box: tuple[int, int, int, int], width: int) -> Image.Image:
    """A part of ``img`` enlarged to ``width``, sharpened back as a real close-up would be."""
    part = img.crop(box)
    size = (width, round(width * part.height / part.width))
    enlarged = part.resize(size, Image.Resampling.LANCZOS)
    return enlarged.filter(ImageFilter.UnsharpMask(radius=width / part.width, percent=200))


# -- the cases -------------------------------------------------------------------------

_MISSED_PROFILE = (
    "Profiles are looked for only when no frontal face is found, so a second person "
    "seen from the side is not counted."
)


def cases() -> list[PhotoCase]:
    """Every case; the photographs must be :func:`available`."""
    warn, refuse = "warn", "refuse"
    return [
        PhotoCase("half-body portrait", astronaut, "ok"),
        PhotoCase("portrait 3:4, large", lambda: astronaut(2048).crop((256, 0, 1792, 2048)), "ok"),
        PhotoCase("portrait, mirrored", lambda: ImageOps.mirror(astronaut()), "ok"),
        PhotoCase("portrait, low JPEG quality", lambda: _requality(astronaut(), 35), "ok"),
        PhotoCase(
            "portrait, light blur", lambda: astronaut().filter(ImageFilter.GaussianBlur(1)), "ok"
        ),
        PhotoCase(
            "face close-up",
            lambda: _crop(photo("astronaut.png"), (150, 40, 320, 210), 800),
            refuse,
            ("face_closeup",),
        ),
        PhotoCase(
            "head and shoulders",
            lambda: _crop(photo("astronaut.png"), (110, 5, 370, 290), 800),
            warn,
            ("face_closeup",),
        ),
        PhotoCase(
            "out of focus",
            lambda: astronaut().filter(ImageFilter.GaussianBlur(8)),
            refuse,
            ("blurred",),
        ),
        PhotoCase(
            "soft focus",
            lambda: astronaut().filter(ImageFilter.GaussianBlur(3)),
            warn,
            ("blurred",),
        ),
        PhotoCase("night", lambda: gain(astronaut(), 0.1), refuse, ("too_dark",)),
        PhotoCase("dim room", lambda: gain(astronaut(), 0.28), warn, ("too_dark",)),
        PhotoCase("washed out", lambda: haze(astronaut(), 225), refuse, ("too_bright",)),
        PhotoCase("hazy", lambda: haze(astronaut(), 185), warn, ("too_bright",)),
        PhotoCase("blown highlights", lambda: gain(astronaut(), 2.5), warn, ("too_bright",)),
        PhotoCase("thumbnail", lambda: astronaut(320), refuse, ("too_small",)),
        PhotoCase("small", lambda: astronaut(448), warn, ("too_small",)),
        PhotoCase(
            "two people",
            lambda: side_by_side(astronaut(), astronaut()),
            refuse,
            ("several_people",),
        ),
        PhotoCase(
            "someone behind",
            lambda: side_by_side(astronaut(), astronaut(480)),
            warn,
            ("several_people",),
        ),
        PhotoCase(
            "two people, one in profile",
            lambda: side_by_side(astronaut(), enlarged("camera.png")),
            warn,
            ("several_people",),
            known_miss=("ok", (), _MISSED_PROFILE),
        ),
        PhotoCase("man in profile", lambda: enlarged("camera.png"), "ok"),
        PhotoCase("coffee cup", lambda: enlarged("coffee.png"), warn, ("no_person",)),
        PhotoCase("cat", lambda: enlarged("chelsea.png", 2.6), warn, ("no_person",)),
        PhotoCase("rocket", lambda: enlarged("rocket.jpg"), warn, ("no_person",)),
        PhotoCase("motorcycle", lambda: enlarged("motorcycle_left.png"), warn, ("no_person",)),
        PhotoCase("texture", lambda: photo_like(900, 1200), warn, ("no_person",)),
        PhotoCase("drawn figure", lambda: person_image(600, 900), warn, ("no_person",)),
        PhotoCase(
            "blank wall",
            lambda: Image.new("RGB", (900, 1200), (180, 170, 160)),
            warn,
            ("no_person",),
        ),
    ]


def _requality(img: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return decoded.convert("RGB")
