"""A small drawing surface for the demo pictures: supersampled, so edges come out smooth.

Coordinates are given on the final picture (768 x 1024 by default); the canvas draws
at ``SCALE`` times that size and shrinks once at the end.
"""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Iterable, Sequence

from PIL import Image, ImageDraw, ImageFilter

Point = tuple[float, float]
RGB = tuple[int, int, int]

SIZE = (768, 1024)
SCALE = 2


def hex_rgb(value: str) -> RGB:
    value = value.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


def mix(colour: RGB, other: RGB, amount: float) -> RGB:
    """``colour`` moved ``amount`` (0..1) of the way towards ``other``."""
    r, g, b = (round(c + (o - c) * amount) for c, o in zip(colour, other, strict=True))
    return (r, g, b)


def darker(colour: RGB, amount: float = 0.25) -> RGB:
    return mix(colour, (0, 0, 0), amount)


def lighter(colour: RGB, amount: float = 0.25) -> RGB:
    return mix(colour, (255, 255, 255), amount)


def is_dark(colour: RGB) -> bool:
    r, g, b = colour
    return 0.2126 * r + 0.7152 * g + 0.0722 * b < 90


def detail(colour: RGB, amount: float = 0.3) -> RGB:
    """A seam or outline colour that shows on ``colour``: darker, or lighter on dark cloth."""
    return lighter(colour, amount * 0.8) if is_dark(colour) else darker(colour, amount)


def arc(
    cx: float, cy: float, rx: float, ry: float, start: float, end: float, steps: int = 24
) -> list[Point]:
    """Points on an ellipse from angle ``start`` to ``end`` (degrees; y points down)."""
    points: list[Point] = []
    for i in range(steps + 1):
        t = math.radians(start + (end - start) * i / steps)
        points.append((cx + rx * math.cos(t), cy + ry * math.sin(t)))
    return points


def mirror(points: Sequence[Point], axis: float = SIZE[0] / 2) -> list[Point]:
    """The points reflected across the vertical line x = ``axis``, in reverse order."""
    return [(2 * axis - x, y) for x, y in reversed(points)]


class Canvas:
    def __init__(self, background: RGB, size: tuple[int, int] = SIZE) -> None:
        self.size = size
        self.image = Image.new("RGB", (size[0] * SCALE, size[1] * SCALE), background)
        self.draw = ImageDraw.Draw(self.image)

    @staticmethod
    def _scaled(points: Iterable[Point]) -> list[tuple[float, float]]:
        return [(x * SCALE, y * SCALE) for x, y in points]

    @staticmethod
    def _box(cx: float, cy: float, rx: float, ry: float) -> list[float]:
        return [(cx - rx) * SCALE, (cy - ry) * SCALE, (cx + rx) * SCALE, (cy + ry) * SCALE]

    def polygon(
        self,
        points: Sequence[Point],
        fill: RGB | None,
        outline: RGB | None = None,
        width: float = 2,
    ) -> None:
        scaled = self._scaled(points)
        if fill is not None:
            self.draw.polygon(scaled, fill=fill)
        if outline is not None:
            self.draw.line(
                [*scaled, scaled[0]], fill=outline, width=round(width * SCALE), joint="curve"
            )

    def ellipse(
        self,
        cx: float,
        cy: float,
        rx: float,
        ry: float,
        fill: RGB | None,
        outline: RGB | None = None,
        width: float = 2,
    ) -> None:
        self.draw.ellipse(
            self._box(cx, cy, rx, ry), fill=fill, outline=outline, width=round(width * SCALE)
        )

    def line(self, points: Sequence[Point], colour: RGB, width: float = 2) -> None:
        self.draw.line(self._scaled(points), fill=colour, width=round(width * SCALE), joint="curve")

    def dashed(
        self, points: Sequence[Point], colour: RGB, width: float = 1.5, dash: float = 7
    ) -> None:
        """A stitched seam along the polyline ``points``."""
        for (x0, y0), (x1, y1) in itertools.pairwise(points):
            length = math.hypot(x1 - x0, y1 - y0)
            steps = max(1, int(length // dash))
            for i in range(0, steps, 2):
                a, b = i / steps, min(1.0, (i + 1) / steps)
                start = (x0 + (x1 - x0) * a, y0 + (y1 - y0) * a)
                end = (x0 + (x1 - x0) * b, y0 + (y1 - y0) * b)
                self.line([start, end], colour, width)

    def mask(self, shapes: Iterable[Sequence[Point]]) -> Image.Image:
        """A full-size mask (mode L) of the union of polygons."""
        result = Image.new("L", self.image.size, 0)
        pen = ImageDraw.Draw(result)
        for points in shapes:
            pen.polygon(self._scaled(points), fill=255)
        return result

    def paint(self, layer: Image.Image, mask: Image.Image) -> None:
        """Paste a full-size ``layer`` where ``mask`` is set."""
        self.image.paste(layer, (0, 0), mask)

    def shade(self, mask: Image.Image, strength: float = 0.12, centre: float | None = None) -> None:
        """Darken towards the left and right edges inside ``mask``: a hint of volume."""
        width, height = self.image.size
        middle = (centre if centre is not None else self.size[0] / 2) * SCALE
        ramp = Image.new("L", (width, 1))
        ramp.putdata(
            [
                round(255 * strength * min(1.0, abs(x - middle) / (width * 0.42)) ** 2)
                for x in range(width)
            ]
        )
        shadow_alpha = ramp.resize((width, height))
        combined = Image.composite(shadow_alpha, Image.new("L", (width, height), 0), mask)
        self.image.paste((0, 0, 0), (0, 0), combined)

    def soft_shadow(self, cx: float, cy: float, rx: float, ry: float, opacity: int = 70) -> None:
        layer = Image.new("L", self.image.size, 0)
        ImageDraw.Draw(layer).ellipse(self._box(cx, cy, rx, ry), fill=opacity)
        layer = layer.filter(ImageFilter.GaussianBlur(12 * SCALE))
        self.image.paste((60, 60, 60), (0, 0), layer)

    def vertical_gradient(self, top: RGB, bottom: RGB, start: float, end: float) -> None:
        """Blend the background from ``top`` to ``bottom`` between two heights."""
        width, height = self.image.size
        for y in range(height):
            t = min(1.0, max(0.0, (y / SCALE - start) / (end - start)))
            self.draw.line([(0, y), (width, y)], fill=mix(top, bottom, t))

    def finish(self) -> Image.Image:
        return self.image.resize(self.size, Image.Resampling.LANCZOS)


def jpeg_bytes(image: Image.Image, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality, optimize=True)
    return buffer.getvalue()
