"""Preset model photos: a simple standing figure, front view, on a plain studio backdrop.

Only the shapes a try-on needs are there: head and hair, neck, a plain fitted top, bare
arms and hands, trousers, shoes; and a soft floor shadow so the figure stands.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from .canvas import RGB, Canvas, Point, arc, darker, hex_rgb, lighter, mirror

CX = 384


@dataclass(frozen=True)
class PersonLook:
    skin: str
    hair: str
    hair_style: str  # short | long | bun
    top: str
    trousers: str
    shoes: str
    backdrop: str


def draw_person(look: PersonLook) -> Image.Image:
    backdrop = hex_rgb(look.backdrop)
    canvas = Canvas(backdrop)
    canvas.vertical_gradient(lighter(backdrop, 0.25), darker(backdrop, 0.06), 0, 1024)
    canvas.soft_shadow(CX, 984, 150, 16, opacity=90)
    skin, hair = hex_rgb(look.skin), hex_rgb(look.hair)
    if look.hair_style == "long":
        _long_hair_back(canvas, hair)
    _arms(canvas, skin)
    _legs(canvas, hex_rgb(look.trousers), hex_rgb(look.shoes))
    _neck(canvas, skin)
    _top(canvas, hex_rgb(look.top))
    _head(canvas, skin, hair, look.hair_style)
    return canvas.finish()


def _long_hair_back(canvas: Canvas, hair: RGB) -> None:
    back = [*arc(CX, 140, 70, 74, 180, 360, 20), (456, 220), (462, 330), (306, 330), (312, 220)]
    canvas.polygon(back, fill=darker(hair, 0.1))


def _arms(canvas: Canvas, skin: RGB) -> None:
    shade = darker(skin, 0.18)
    right_arm = [(478, 292), (508, 300), (540, 440), (548, 600), (512, 606), (500, 460), (484, 360)]
    for arm in (right_arm, mirror(right_arm)):
        canvas.polygon(arm, fill=skin, outline=shade, width=1.5)
    for side in (1, -1):
        hand_x = CX + side * 146
        canvas.ellipse(hand_x, 634, 21, 34, fill=skin, outline=shade, width=1.5)
        canvas.line([(hand_x - side * 10, 628), (hand_x - side * 12, 660)], shade, 1.2)  # thumb


def _legs(canvas: Canvas, trousers: RGB, shoes: RGB) -> None:
    ink = darker(trousers, 0.35)
    legs = [(302, 576), (466, 576), (474, 950), (400, 952), (384, 660), (368, 952), (294, 950)]
    canvas.polygon(legs, fill=trousers, outline=ink, width=1.5)
    canvas.polygon(
        [(302, 576), (466, 576), (467, 600), (301, 600)],
        fill=darker(trousers, 0.12),
        outline=ink,
        width=1.5,
    )  # waistband
    canvas.line([(384, 604), (384, 660)], ink, 1.5)
    for x0, x1 in ((336, 332), (432, 436)):  # creases
        canvas.line([(x0, 620), (x1, 940)], darker(trousers, 0.12), 2)
    for cx in (330, 438):
        canvas.ellipse(cx, 962, 46, 18, fill=shoes, outline=darker(shoes, 0.3), width=1.5)
        canvas.polygon([(cx - 36, 944), (cx + 36, 944), (cx + 40, 962), (cx - 40, 962)], fill=shoes)


def _neck(canvas: Canvas, skin: RGB) -> None:
    canvas.polygon([(362, 196), (406, 196), (420, 266), (348, 266)], fill=skin)
    canvas.ellipse(CX, 204, 24, 12, fill=darker(skin, 0.12))  # shadow under the chin


def _top(canvas: Canvas, colour: RGB) -> None:
    """A plain short-sleeved fitted top."""
    right: list[Point] = [
        (416, 252),
        (472, 266),
        (500, 282),
        (522, 320),
        (530, 372),
        (490, 382),
        (478, 340),
        (470, 450),
        (476, 590),
        (384, 596),
    ]
    neckline = arc(CX, 252, 32, 26, 180, 0, 12)
    body = [*right, *mirror(right)[1:], *neckline]
    canvas.polygon(body, fill=colour, outline=darker(colour, 0.3), width=1.5)
    fold = darker(colour, 0.1)
    canvas.line([(478, 340), (470, 400)], fold, 2)
    canvas.line([(290, 340), (298, 400)], fold, 2)
    canvas.line(arc(CX, 252, 32, 26, 180, 0, 12), darker(colour, 0.22), 3)


def _head(canvas: Canvas, skin: RGB, hair: RGB, style: str) -> None:
    shade = darker(skin, 0.2)
    for side in (1, -1):  # ears
        canvas.ellipse(CX + side * 52, 150, 10, 18, fill=skin, outline=shade, width=1.2)
    canvas.ellipse(CX, 140, 52, 66, fill=skin, outline=shade, width=1.2)
    # Hair cap over the top of the head; a bun or a fringe on top of it.
    cap = [*arc(CX, 142, 56, 72, 188, 352, 24), (424, 112), (384, 102), (344, 112)]
    canvas.polygon(cap, fill=hair)
    if style == "bun":
        canvas.ellipse(CX, 66, 30, 26, fill=hair, outline=darker(hair, 0.3), width=1.2)
    if style == "long":
        for side in (1, -1):
            strand = [
                (CX + side * 54, 120),
                (CX + side * 60, 210),
                (CX + side * 66, 300),
                (CX + side * 44, 292),
                (CX + side * 44, 170),
            ]
            canvas.polygon(strand, fill=hair)
    # Face: brows, eyes, nose, mouth.
    for side in (1, -1):
        eye_x = CX + side * 20
        canvas.line([(eye_x - 11, 128), (eye_x, 124), (eye_x + 11, 128)], darker(hair, 0.1), 3)
        canvas.ellipse(eye_x, 142, 7, 4.5, fill=(250, 250, 248))
        canvas.ellipse(eye_x, 142, 3.6, 3.6, fill=(52, 40, 34))
    canvas.line([(384, 146), (380, 168), (388, 170)], darker(skin, 0.28), 2)
    canvas.line(arc(CX, 178, 14, 7, 20, 160, 10), _lips(skin), 2.4)


def _lips(skin: RGB) -> RGB:
    r, g, b = darker(skin, 0.3)
    return (min(255, r + 25), g, b)
