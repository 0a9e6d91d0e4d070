"""Full-canvas fabric layers: plain, stripes, dots, denim. Deterministic (fixed seeds)."""

from __future__ import annotations

import random

from PIL import Image, ImageDraw, ImageFilter

from .canvas import RGB, SCALE, darker, lighter


def plain(size: tuple[int, int], colour: RGB) -> Image.Image:
    return Image.new("RGB", size, colour)


def stripes(
    size: tuple[int, int], base: RGB, stripe: RGB, period: int = 26, width: int = 8
) -> Image.Image:
    """Vertical stripes; ``period`` and ``width`` in final-picture pixels."""
    layer = Image.new("RGB", size, base)
    pen = ImageDraw.Draw(layer)
    for x in range(0, size[0], period * SCALE):
        pen.rectangle([x, 0, x + width * SCALE, size[1]], fill=stripe)
    return layer


def dots(
    size: tuple[int, int], base: RGB, dot: RGB, spacing: int = 44, radius: int = 6
) -> Image.Image:
    """A staggered polka-dot print."""
    layer = Image.new("RGB", size, base)
    pen = ImageDraw.Draw(layer)
    step, r = spacing * SCALE, radius * SCALE
    for row, y in enumerate(range(0, size[1] + step, step)):
        offset = step // 2 if row % 2 else 0
        for x in range(-step, size[0] + step, step):
            cx = x + offset
            pen.ellipse([cx - r, y - r, cx + r, y + r], fill=dot)
    return layer


def denim(size: tuple[int, int], base: RGB, seed: int = 7) -> Image.Image:
    """Blue twill: fine diagonal lines, a little mottling and lighter washed patches."""
    rng = random.Random(seed)
    grain = (size[0] // 8, size[1] // 8)
    noise = Image.new("L", grain)
    noise.putdata([128 + rng.randint(-18, 18) for _ in range(grain[0] * grain[1])])
    noise = noise.resize(size, Image.Resampling.BICUBIC)
    layer = Image.composite(
        Image.new("RGB", size, lighter(base, 0.12)),
        Image.new("RGB", size, darker(base, 0.12)),
        noise,
    )
    pen = ImageDraw.Draw(layer)
    twill = darker(base, 0.2)
    step = 4 * SCALE
    for x in range(-size[1], size[0], step):  # diagonal twill lines
        pen.line([(x, 0), (x + size[1], size[1])], fill=twill, width=1)
    fade = Image.new("L", size, 0)
    blot = ImageDraw.Draw(fade)
    for _ in range(40):  # soft lighter patches, like washed denim
        cx, cy = rng.randint(0, size[0]), rng.randint(0, size[1])
        rx, ry = rng.randint(20, 60) * SCALE, rng.randint(40, 120) * SCALE
        blot.ellipse([cx - rx, cy - ry, cx + rx, cy + ry], fill=rng.randint(20, 50))
    fade = fade.filter(ImageFilter.GaussianBlur(25 * SCALE))
    return Image.composite(Image.new("RGB", size, lighter(base, 0.4)), layer, fade)


def ribbed(size: tuple[int, int], colour: RGB, period: int = 6) -> Image.Image:
    """Knitted rib for cuffs and waistbands: thin vertical lines."""
    return stripes(size, colour, darker(colour, 0.15), period=period, width=2)
