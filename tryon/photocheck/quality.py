"""The cheap checks, with Pillow alone: size, sharpness and exposure.

Each takes the :class:`~.picture.AnalysisPicture` and returns its verdicts (a code with
``"refuse"`` or ``"warn"``), recording the figure it judged in ``measures``. The
thresholds are deliberately lopsided: a refusal needs a figure that no usable photo
shows; anything merely doubtful is a warning. They were set on the generated pictures
of ``tests/photo_cases.py`` (see ``docs/photo-check.md``).
"""

from __future__ import annotations

from PIL import ImageFilter

from .findings import BLURRED, TOO_BRIGHT, TOO_DARK, TOO_SMALL, Severity
from .picture import AnalysisPicture, percentile

__all__ = [
    "Verdict",
    "check_exposure",
    "check_sharpness",
    "check_size",
]

Verdict = tuple[str, Severity]

# -- size: the provider works at about 768x1024; a smaller photo is enlarged for it ------
#: A shorter side below this is enlarged more than twice: the result is smeared.
SMALL_REFUSE_SIDE = 384
#: Below this the result is visibly softer than the garment.
SMALL_WARN_SIDE = 512

# -- sharpness: the strongest edges against the picture's contrast ------------------------
#: A 3x3 Laplacian, offset to fit 8 bits (values beyond +-127 clip: sharp enough anyway).
_LAPLACIAN = ImageFilter.Kernel((3, 3), [0, 1, 0, 1, -4, 1, 0, 1, 0], scale=1, offset=128)
#: The share of pixels taken as "the strongest edges" (the top 0.1 per cent).
EDGE_FRACTION = 0.999
#: Edge strength / contrast below this: even the sharpest edges are smeared (a Gaussian
#: blur of about 2-3 pixels at the analysis size, 8-12 at 2048, depending on content).
BLUR_REFUSE = 0.07
#: Below this the photo is soft (about 1 pixel of blur at the analysis size).
BLUR_WARN = 0.18
#: A picture with less contrast than this (1st to 99th percentile) is not judged: a
#: flat picture has no edges to measure, and the exposure checks speak for it.
MIN_CONTRAST = 24

# -- exposure, on the luminance histogram -------------------------------------------------
#: 99% of the pixels darker than this: there is nothing to see.
DARK_REFUSE_P99 = 40
#: 95% of the pixels darker than this: dim, details will be lost.
DARK_WARN_P95 = 80
#: 98% of the pixels brighter than this: washed out, nearly blank.
BRIGHT_REFUSE_P2 = 215
#: 95% of the pixels brighter than this and half of them brighter than
#: ``BRIGHT_WARN_P50``: hardly any dark tones left (fog, glare). A plain light wall is
#: not a bright photo, hence the median too.
BRIGHT_WARN_P5 = 170
BRIGHT_WARN_P50 = 200
#: At least this share of pure white (>= 250) pixels: blown-out highlights. Only a
#: warning: a studio backdrop is pure white too.
CLIPPED_WARN_SHARE = 0.4
CLIPPED_LEVEL = 250


def check_size(picture: AnalysisPicture, measures: dict[str, float]) -> list[Verdict]:
    """Too small: the photo's shorter side, in its own pixels."""
    side = picture.short_side
    measures["short_side"] = side
    if side < SMALL_REFUSE_SIDE:
        return [(TOO_SMALL, "refuse")]
    if side < SMALL_WARN_SIDE:
        return [(TOO_SMALL, "warn")]
    return []


def sharpness(picture: AnalysisPicture) -> float | None:
    """The strongest edges' Laplacian over the picture's contrast; None when flat.

    The strongest 0.1 per cent of edges, not the average: a portrait with a blurred
    background (a phone's portrait mode) is sharp where it matters.
    """
    grey = picture.grey
    if grey.width < 8 or grey.height < 8:
        return None
    levels = grey.histogram()
    contrast = percentile(levels, 0.99) - percentile(levels, 0.01)
    if contrast < MIN_CONTRAST:
        return None
    # Pillow's kernel filters copy the border pixels unfiltered: leave them out.
    edges = grey.filter(_LAPLACIAN).crop((2, 2, grey.width - 2, grey.height - 2))
    magnitudes = [0] * 129
    for value, count in enumerate(edges.histogram()):
        magnitudes[min(abs(value - 128), 128)] += count
    return percentile(magnitudes, EDGE_FRACTION) / contrast


def check_sharpness(picture: AnalysisPicture, measures: dict[str, float]) -> list[Verdict]:
    """Blurred: out of focus or shaken."""
    value = sharpness(picture)
    if value is None:
        return []
    measures["sharpness"] = round(value, 3)
    if value < BLUR_REFUSE:
        return [(BLURRED, "refuse")]
    if value < BLUR_WARN:
        return [(BLURRED, "warn")]
    return []


def check_exposure(
    picture: AnalysisPicture, measures: dict[str, float], *, dark: bool, bright: bool
) -> list[Verdict]:
    """Too dark or too bright, from percentiles of the luminance (``dark`` and ``bright``
    say which of the two checks are on)."""
    levels = picture.grey.histogram()
    total = sum(levels) or 1
    p2, p5, p50, p95, p99 = (percentile(levels, q) for q in (0.02, 0.05, 0.5, 0.95, 0.99))
    clipped = sum(levels[CLIPPED_LEVEL:]) / total
    measures.update(p2=p2, p5=p5, p50=p50, p95=p95, p99=p99, clipped=round(clipped, 3))
    verdicts: list[Verdict] = []
    if dark:
        if p99 < DARK_REFUSE_P99:
            verdicts.append((TOO_DARK, "refuse"))
        elif p95 < DARK_WARN_P95:
            verdicts.append((TOO_DARK, "warn"))
    if bright:
        if p2 > BRIGHT_REFUSE_P2:
            verdicts.append((TOO_BRIGHT, "refuse"))
        elif (p5 > BRIGHT_WARN_P5 and p50 > BRIGHT_WARN_P50) or clipped >= CLIPPED_WARN_SHARE:
            verdicts.append((TOO_BRIGHT, "warn"))
    return verdicts
