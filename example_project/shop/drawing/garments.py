"""Flat-lay garment pictures (front view on white), drawn with Pillow.

Each garment is one or more silhouettes filled with a fabric layer, shaded a little at
the sides, outlined, then finished with seams, collars, pockets and the like.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PIL import Image

from . import patterns
from .canvas import RGB, Canvas, Point, arc, darker, detail, hex_rgb, lighter, mirror

WHITE: RGB = (255, 255, 255)
CX = 384  # vertical centre line of every garment


@dataclass(frozen=True)
class GarmentLook:
    kind: str  # tshirt | shirt | hoodie | jeans | skirt | dress
    colour: str  # "#rrggbb"
    pattern: str = "plain"  # plain | stripes | dots | denim
    accent: str = "#ffffff"  # stripe or dot colour


def draw_garment(look: GarmentLook) -> Image.Image:
    try:
        painter = _PAINTERS[look.kind]
    except KeyError:
        raise ValueError(f"Unknown garment kind {look.kind!r}") from None
    canvas = Canvas(WHITE)
    painter(canvas, look)
    return canvas.finish()


def _fabric(canvas: Canvas, look: GarmentLook) -> Image.Image:
    size, colour, accent = canvas.image.size, hex_rgb(look.colour), hex_rgb(look.accent)
    if look.pattern == "stripes":
        return patterns.stripes(size, colour, accent)
    if look.pattern == "dots":
        return patterns.dots(size, colour, accent)
    if look.pattern == "denim":
        return patterns.denim(size, colour)
    return patterns.plain(size, colour)


def _cloth(
    canvas: Canvas,
    look: GarmentLook,
    shapes: Sequence[Sequence[Point]],
    fabric: Image.Image | None = None,
) -> None:
    """Fill ``shapes`` with the garment's fabric, shade them and outline each."""
    mask = canvas.mask(shapes)
    canvas.paint(fabric if fabric is not None else _fabric(canvas, look), mask)
    canvas.shade(mask)
    outline = darker(hex_rgb(look.colour), 0.45)
    for points in shapes:
        canvas.polygon(points, fill=None, outline=outline, width=2)


def _band(canvas: Canvas, look: GarmentLook, points: Sequence[Point]) -> None:
    """A ribbed band (cuff, waistband) in the garment colour."""
    colour = hex_rgb(look.colour)
    mask = canvas.mask([points])
    canvas.paint(patterns.ribbed(canvas.image.size, darker(colour, 0.06)), mask)
    canvas.polygon(points, fill=None, outline=darker(colour, 0.45), width=2)


def _torso_half(
    neck: Point, shoulder: Point, sleeve: Sequence[Point], armpit: Point, hem: Sequence[Point]
) -> list[Point]:
    """The right half of a top, from the neck round to the hem's centre."""
    return [neck, shoulder, *sleeve, armpit, *hem]


def _symmetric(right_half: Sequence[Point], neckline: Sequence[Point]) -> list[Point]:
    """A whole top from its right half (neck first, hem centre last) and its neckline."""
    return [*right_half, *mirror(right_half)[1:], *neckline]


def _tshirt(canvas: Canvas, look: GarmentLook) -> None:
    right = _torso_half(
        neck=(448, 210),
        shoulder=(578, 246),
        sleeve=[(632, 310), (694, 412), (614, 462)],
        armpit=(572, 382),
        hem=[(576, 800), (480, 808), (384, 810)],
    )
    body = _symmetric(right, arc(CX, 210, 64, 52, 180, 0))
    _cloth(canvas, look, [body])
    seam = detail(hex_rgb(look.colour))
    canvas.line(arc(CX, 210, 64, 52, 180, 0), seam, 8)  # ribbed neckband
    canvas.line(arc(CX, 210, 56, 44, 180, 0), lighter(seam, 0.2), 1.5)
    sleeve_hem = [(688, 395), (608, 445)]
    for line in (sleeve_hem, mirror(sleeve_hem)):
        canvas.dashed(line, seam)
    canvas.dashed([(198, 782), (384, 792), (570, 782)], seam)


def _long_sleeved(cuff_depth: float) -> tuple[list[Point], list[Point], list[Point]]:
    """Right half of a long-sleeved top, and its right and left cuffs."""
    right = _torso_half(
        neck=(440, 170),
        shoulder=(576, 206),
        sleeve=[(626, 290), (668, 520), (690, 760), (612, 776), (588, 540)],
        armpit=(568, 350),
        hem=[(572, 800), (480, 812), (384, 814)],
    )
    t = cuff_depth
    cuff = [(690 - 22 * t / 240, 760 - t), (690, 760), (612, 776), (612 - 24 * t / 236, 776 - t)]
    return right, cuff, mirror(cuff)


def _shirt(canvas: Canvas, look: GarmentLook) -> None:
    right, cuff, left_cuff = _long_sleeved(cuff_depth=46)
    body = _symmetric(right, [(328, 170), (384, 224)])
    _cloth(canvas, look, [body])
    colour = hex_rgb(look.colour)
    ink = darker(colour, 0.45)
    fabric = _fabric(canvas, look)
    # Cuffs, then a point collar: two wings meeting at the front over the back band.
    wing = [(332, 162), (384, 226), (348, 290), (296, 198)]
    for shape in (cuff, left_cuff, wing, mirror(wing)):
        canvas.paint(fabric, canvas.mask([shape]))
        canvas.polygon(shape, fill=None, outline=ink, width=2)
    canvas.polygon([(332, 162), (436, 162), (384, 188)], fill=lighter(colour, 0.1), outline=ink)
    # Placket and buttons.
    canvas.line([(398, 230), (398, 812)], ink, 1.5)
    canvas.line([(370, 230), (370, 812)], ink, 1.5)
    for y in range(290, 800, 90):
        canvas.ellipse(CX, y, 7, 7, fill=(245, 245, 240), outline=darker(colour, 0.5), width=1.5)
    # Breast pocket.
    pocket = [(430, 338), (500, 338), (500, 418), (465, 430), (430, 418)]
    canvas.polygon(pocket, fill=None, outline=ink, width=1.5)


def _hoodie(canvas: Canvas, look: GarmentLook) -> None:
    colour = hex_rgb(look.colour)
    ink = detail(colour, 0.35)
    hood = [*arc(CX, 188, 118, 124, 200, 340, 30), (470, 268), (298, 268)]
    _cloth(canvas, look, [hood])
    right, cuff, left_cuff = _long_sleeved(cuff_depth=54)
    body = _symmetric(right, arc(CX, 188, 56, 60, 180, 0))
    _cloth(canvas, look, [body])
    canvas.ellipse(CX, 188, 70, 64, fill=darker(colour, 0.35), outline=ink, width=2)  # hood opening
    canvas.ellipse(CX, 210, 62, 44, fill=darker(colour, 0.5))
    waistband = [(198, 760), (570, 760), (572, 800), (480, 812), (288, 812), (196, 800)]
    for band in (cuff, left_cuff, waistband):
        _band(canvas, look, band)
    for x, end in ((362, 390), (406, 386)):  # drawstrings with metal tips
        canvas.line([(x, 250), (x - 2, end)], lighter(colour, 0.75), 4)
        canvas.ellipse(x - 2, end + 6, 4, 8, fill=(190, 190, 195))
    pocket = [(276, 580), (492, 580), (524, 740), (244, 740)]
    canvas.polygon(pocket, fill=None, outline=ink, width=2)
    canvas.dashed([(282, 588), (486, 588)], ink)
    canvas.line([(276, 580), (250, 680)], ink, 2)
    canvas.line([(492, 580), (518, 680)], ink, 2)


def _jeans(canvas: Canvas, look: GarmentLook) -> None:
    colour = hex_rgb(look.colour)
    legs = [(232, 166), (202, 940), (364, 940), (384, 398), (404, 940), (566, 940), (536, 166)]
    waistband = [(232, 110), (536, 110), (538, 168), (230, 168)]
    fabric = _fabric(canvas, look)
    _cloth(canvas, look, [legs], fabric)
    _cloth(canvas, look, [waistband], fabric)
    thread = hex_rgb("#d39a4a")
    canvas.dashed([(236, 120), (532, 120)], thread)
    canvas.dashed([(236, 158), (532, 158)], thread)
    for x in (256, 320, 448, 512):  # belt loops
        canvas.polygon(
            [(x - 7, 104), (x + 7, 104), (x + 7, 176), (x - 7, 176)],
            fill=darker(colour, 0.08),
            outline=darker(colour, 0.45),
            width=1.5,
        )
    canvas.ellipse(CX, 139, 10, 10, fill=(190, 160, 90), outline=(120, 95, 40), width=2)  # button
    canvas.dashed([(412, 168), (412, 318), (384, 344)], thread)  # fly
    canvas.line([(384, 168), (384, 344)], darker(colour, 0.4), 1.5)
    for side in (1, -1):
        opening = [
            (CX - side * 150, 224),
            (CX - side * 118, 222),
            (CX - side * 86, 196),
            (CX - side * 70, 168),
        ]
        canvas.line(opening, darker(colour, 0.45), 2)
        canvas.dashed([(x + side * 6, y + 6) for x, y in opening], thread)
        hem_x = (202, 364) if side == 1 else (404, 566)
        canvas.dashed([(hem_x[0] + 4, 920), (hem_x[1] - 4, 920)], thread)
        outer = [(244, 180), (216, 900)] if side == 1 else mirror([(216, 900), (244, 180)])
        canvas.dashed(outer, lighter(colour, 0.2))


def _skirt(canvas: Canvas, look: GarmentLook) -> None:
    colour = hex_rgb(look.colour)
    hem = arc(CX, 760, 236, 80, 0, 180)
    body = [(262, 236), (506, 236), (616, 760), *hem[1:-1], (152, 760)]
    waistband = [(262, 188), (506, 188), (506, 238), (262, 238)]
    _cloth(canvas, look, [body])
    _cloth(canvas, look, [waistband])
    ink = darker(colour, 0.35)
    for top_x, bottom_x in ((318, 262), (350, 322), (418, 446), (450, 506)):  # pleats
        canvas.line([(top_x, 240), (bottom_x, 820)], ink, 1.5)
    canvas.dashed(arc(CX, 740, 226, 78, 10, 170), lighter(colour, 0.25))
    canvas.ellipse(490, 213, 8, 8, fill=lighter(colour, 0.6), outline=ink, width=1.5)


def _dress(canvas: Canvas, look: GarmentLook) -> None:
    colour = hex_rgb(look.colour)
    ink = darker(colour, 0.45)
    strap = [(318, 100), (334, 100), (340, 214), (322, 214)]
    fabric = _fabric(canvas, look)
    for shape in (strap, mirror(strap)):
        _cloth(canvas, look, [shape], fabric)
    hem = arc(CX, 900, 262, 56, 0, 180, 30)
    bodice_and_skirt = [
        (304, 206),
        (342, 196),
        (384, 236),
        (426, 196),
        (464, 206),
        (454, 440),
        (470, 478),
        (646, 900),
        *hem[1:-1],
        (122, 900),
        (298, 478),
        (314, 440),
    ]
    _cloth(canvas, look, [bodice_and_skirt], fabric)
    sash = [(312, 436), (456, 436), (470, 480), (298, 480)]
    canvas.polygon(sash, fill=lighter(colour, 0.55), outline=ink, width=2)
    canvas.polygon(
        [(384, 458), (344, 440), (340, 478)], fill=lighter(colour, 0.45), outline=ink, width=1.5
    )
    canvas.polygon(
        [(384, 458), (424, 440), (428, 478)], fill=lighter(colour, 0.45), outline=ink, width=1.5
    )
    canvas.ellipse(CX, 458, 9, 11, fill=lighter(colour, 0.35), outline=ink, width=1.5)
    for x0, x1 in ((340, 250), (384, 384), (428, 518)):  # soft folds in the skirt
        canvas.line([(x0, 486), (x1, 940)], darker(colour, 0.12), 2)
    canvas.line([(342, 198), (384, 238), (426, 198)], ink, 3)


_PAINTERS: dict[str, Callable[[Canvas, GarmentLook], None]] = {
    "tshirt": _tshirt,
    "shirt": _shirt,
    "hoodie": _hoodie,
    "jeans": _jeans,
    "skirt": _skirt,
    "dress": _dress,
}
