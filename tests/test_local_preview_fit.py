"""The offline preview fitted to the body: every demo garment on every demo model.

The pictures are the example shop's own drawings (``example_project/shop/drawing``), as
a new shop first sees them. What each region is comes from how the models are drawn
(``people.py``, 768 x 1024): the face ends at the chin (y 206); the top's body runs from
the shoulders (y ~282) to the waistband (y 576) between x 298 and 470, the arms hang
outside x 290..478 down to the hands (y ~668); the legs fill x 294..474 from the
waistband to the ankles (y ~950).

The person's silhouette is every pixel that differs from the backdrop of its row (the
backdrop is a vertical gradient). What the garment covers is read from the mask picture
the backend returns (the replaced region drawn over the person).
"""

from __future__ import annotations

import functools
import io
import random

import pytest
from PIL import Image, ImageChops

from example_project.shop.catalogue import MODELS, PRODUCTS, DemoModel, DemoProduct
from example_project.shop.drawing import draw_garment, draw_person, jpeg_bytes
from example_project.shop.drawing import garments as garment_drawing
from tryon.backends.local import LocalPreviewBackend
from tryon.backends.local.cutout import cut_out
from tryon.backends.local.flood import border_connected
from tryon.images import normalize_image

Box = tuple[int, int, int, int]

WIDTH, HEIGHT = 768, 1024
FACE: Box = (0, 0, WIDTH, 204)  # the head down to just above the chin
TORSO: Box = (300, 300, 468, 570)  # the top's body, inside the arms
BODICE: Box = (324, 370, 444, 570)  # the middle of the torso below a dress's neckline
ABOVE_WAIST: Box = (0, 0, WIDTH, 560)
LEGS_TO_KNEES: Box = (290, 600, 478, 760)  # hips' columns: the hands hang outside
LEGS_TO_ANKLES: Box = (290, 600, 478, 940)
ARMS_ROWS, BODY_COLUMNS = (300, 560), (290, 478)
UPPER_ARMS_ROWS = (300, 350)  # where a T-shirt's short sleeves are
KNEE_ROW = 760
HANDS: Box = (500, 604, 560, 668)  # the right hand, below the waist, beside the hips

LONG_SLEEVES = {"blue-striped-shirt", "black-hoodie"}
FULL_LENGTH = {"classic-jeans"}
WHITE_FABRIC = {"blue-striped-shirt", "yellow-summer-dress"}  # white cloth, white dots

FACE_COVERED_AT_MOST = 0.002
TORSO_COVERED_AT_LEAST = 0.98
ARMS_COVERED_AT_LEAST = 0.9  # long sleeves, down to the wrists
UPPER_ARMS_COVERED_AT_LEAST = 0.9  # short sleeves
LEGS_COVERED_AT_LEAST = 0.98
ABOVE_WAIST_COVERED_AT_MOST = 0.02  # trousers and skirts start at the waist
WHITE_KEPT_AT_LEAST = 0.95


# -- pictures --------------------------------------------------------------------------


@functools.cache
def person_jpeg(name: str) -> bytes:
    return jpeg_bytes(draw_person(_model(name).look))


@functools.cache
def person_silhouette(name: str) -> Image.Image:
    """255 where the lossless drawing differs from its row's backdrop colour."""
    drawing = draw_person(_model(name).look)
    backdrop = drawing.crop((2, 0, 3, HEIGHT)).resize((WIDTH, HEIGHT), Image.Resampling.NEAREST)
    return threshold(largest_difference(drawing, backdrop), 6)


@functools.cache
def garment_jpeg(slug: str) -> bytes:
    return jpeg_bytes(draw_garment(_product(slug).look))


@functools.cache
def covered(name: str, slug: str) -> Image.Image:
    """255 where the preview of ``slug`` on ``name`` replaced the person."""
    result = LocalPreviewBackend().change_clothes(
        model_image=person_jpeg(name),
        garment_image=garment_jpeg(slug),
        category=_product(slug).category,
    )
    assert result.is_preview and result.mask is not None and result.mask.content is not None
    person = _rgb(normalize_image(person_jpeg(name)).content)
    return threshold(largest_difference(_rgb(result.mask.content), person), 40)


def _model(name: str) -> DemoModel:
    return next(model for model in MODELS if model.name == name)


def _product(slug: str) -> DemoProduct:
    return next(product for product in PRODUCTS if product.slug == slug)


def _rgb(content: bytes) -> Image.Image:
    with Image.open(io.BytesIO(content)) as img:
        return img.convert("RGB")


def largest_difference(a: Image.Image, b: Image.Image) -> Image.Image:
    red, green, blue = ImageChops.difference(a, b).split()
    return ImageChops.lighter(ImageChops.lighter(red, green), blue)


def threshold(img: Image.Image, above: int) -> Image.Image:
    return img.point(lambda value: 255 if value > above else 0)


def count(mask: Image.Image) -> int:
    return mask.histogram()[255]


def region(mask: Image.Image, box: Box) -> Image.Image:
    """``mask`` within ``box``, empty elsewhere."""
    out = Image.new("L", mask.size, 0)
    out.paste(mask.crop(box), box[:2])
    return out


def share_covered(name: str, slug: str, target: Image.Image) -> float:
    """How much of ``target`` (a mask of the person) the garment covers."""
    assert count(target) > 500, "the region should hold a good part of the person"
    return count(ImageChops.darker(covered(name, slug), target)) / count(target)


def person_in(name: str, box: Box) -> Image.Image:
    return region(person_silhouette(name), box)


def arms(name: str, rows: tuple[int, int]) -> Image.Image:
    """The person beside the body's columns within ``rows``: the arms."""
    band = person_in(name, (0, rows[0], WIDTH, rows[1]))
    body = person_in(name, (BODY_COLUMNS[0], rows[0], BODY_COLUMNS[1], rows[1]))
    return ImageChops.subtract(band, body)


def columns_at(mask: Image.Image, row: int) -> tuple[int, int] | None:
    box = mask.crop((0, row, WIDTH, row + 1)).getbbox()
    return (box[0], box[2]) if box else None


# -- the fit, garment by garment -------------------------------------------------------

PAIRS = [(model.name, product.slug) for product in PRODUCTS for model in MODELS]
BELOW_THE_WAIST = [pair for pair in PAIRS if _product(pair[1]).category != "upper_body"]


@pytest.mark.parametrize(("name", "slug"), PAIRS)
def test_garment_covers_its_part_of_the_body(name: str, slug: str) -> None:
    category = _product(slug).category
    face = share_covered(name, slug, person_in(name, FACE))
    if category == "upper_body":
        assert face <= FACE_COVERED_AT_MOST, "the collar or hood covers the face"
        assert share_covered(name, slug, person_in(name, TORSO)) >= TORSO_COVERED_AT_LEAST
        if slug in LONG_SLEEVES:
            assert share_covered(name, slug, arms(name, ARMS_ROWS)) >= ARMS_COVERED_AT_LEAST
        else:
            upper_arms = arms(name, UPPER_ARMS_ROWS)
            assert share_covered(name, slug, upper_arms) >= UPPER_ARMS_COVERED_AT_LEAST
    elif category == "lower_body":
        above_waist = share_covered(name, slug, person_in(name, ABOVE_WAIST))
        assert above_waist <= ABOVE_WAIST_COVERED_AT_MOST, "it starts above the waist"
        legs = LEGS_TO_ANKLES if slug in FULL_LENGTH else LEGS_TO_KNEES
        assert share_covered(name, slug, person_in(name, legs)) >= LEGS_COVERED_AT_LEAST
    else:
        assert face <= FACE_COVERED_AT_MOST, "the straps cover the face"
        assert share_covered(name, slug, person_in(name, BODICE)) >= TORSO_COVERED_AT_LEAST
        assert share_covered(name, slug, person_in(name, LEGS_TO_KNEES)) >= LEGS_COVERED_AT_LEAST


@pytest.mark.parametrize(("name", "slug"), BELOW_THE_WAIST)
def test_garment_is_as_wide_as_the_legs_at_the_knees(name: str, slug: str) -> None:
    legs = columns_at(person_silhouette(name), KNEE_ROW)
    garment = columns_at(covered(name, slug), KNEE_ROW)
    assert legs is not None and garment is not None
    assert garment[0] <= legs[0] and garment[1] >= legs[1]


@pytest.mark.parametrize(("name", "slug"), BELOW_THE_WAIST)
def test_hands_stay_in_front_of_skirts_and_dresses(name: str, slug: str) -> None:
    assert share_covered(name, slug, person_in(name, HANDS)) <= 0.05


@pytest.mark.parametrize("slug", ["blue-striped-shirt", "black-hoodie"])
def test_model_photographed_from_the_waist_up_gets_the_top_on_the_torso(slug: str) -> None:
    # The body runs off the bottom edge; its light top touches it.
    half = draw_person(_model("Ava").look).crop((0, 0, WIDTH, 600))
    result = LocalPreviewBackend().change_clothes(
        model_image=jpeg_bytes(half), garment_image=garment_jpeg(slug), category="upper_body"
    )
    assert result.mask is not None and result.mask.content is not None
    person = _rgb(normalize_image(jpeg_bytes(half)).content)
    garment = threshold(largest_difference(_rgb(result.mask.content), person), 40)
    silhouette = person_silhouette("Ava").crop((0, 0, WIDTH, 600))

    def share(box: Box) -> float:
        target = region(silhouette, box)
        return count(ImageChops.darker(garment, target)) / count(target)

    assert share(FACE) <= FACE_COVERED_AT_MOST
    assert share((TORSO[0], TORSO[1], TORSO[2], 560)) >= TORSO_COVERED_AT_LEAST


# -- the cut-out -----------------------------------------------------------------------


@functools.cache
def outline(slug: str) -> Image.Image:
    """255 inside the garment's outline: the same drawing on magenta, not magenta."""
    magenta = (255, 0, 255)
    original = garment_drawing.WHITE
    garment_drawing.WHITE = magenta
    try:
        drawing = draw_garment(_product(slug).look)
    finally:
        garment_drawing.WHITE = original
    return threshold(largest_difference(drawing, Image.new("RGB", drawing.size, magenta)), 60)


def near_white(img: Image.Image) -> Image.Image:
    """255 where every channel is at least 232."""
    darkest = ImageChops.darker(ImageChops.darker(*img.split()[:2]), img.split()[2])
    return darkest.point(lambda value: 255 if value >= 232 else 0)


@pytest.mark.parametrize("slug", sorted(WHITE_FABRIC))
def test_white_fabric_survives_the_cut_out(slug: str) -> None:
    photo = _rgb(garment_jpeg(slug))
    white_inside = count(ImageChops.darker(near_white(photo), outline(slug)))
    assert white_inside > 5000, "the drawing has white cloth inside its outline"

    garment, mask = cut_out(photo)
    kept = threshold(mask, 127)
    white_kept = count(ImageChops.darker(near_white(garment), kept))
    assert white_kept >= WHITE_KEPT_AT_LEAST * white_inside
    # And the white around the garment is gone: the mask is no larger than the outline.
    assert count(kept) <= count(outline(slug))


def naive_border_fill(mask: Image.Image, from_bottom: bool) -> Image.Image:
    """Pixel by pixel, what ``border_connected`` does run by run."""
    width, height = mask.size
    pixels = mask.load()
    seeds = [(x, 0) for x in range(width)] + [(0, y) for y in range(height)]
    seeds += [(width - 1, y) for y in range(height)]
    seeds += [(x, height - 1) for x in range(width)] if from_bottom else []
    out = Image.new("L", mask.size, 0)
    filled = out.load()
    while seeds:
        x, y = seeds.pop()
        if 0 <= x < width and 0 <= y < height and pixels[x, y] == 255 and not filled[x, y]:
            filled[x, y] = 255
            seeds += [(x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)]
    return out


@pytest.mark.parametrize("seed", range(12))
def test_flood_fill_from_the_border_matches_a_pixel_by_pixel_fill(seed: int) -> None:
    rng = random.Random(seed)
    width, height = rng.randint(1, 40), rng.randint(1, 40)
    share = rng.choice([0.45, 0.6, 0.75])
    mask = Image.new("L", (width, height))
    mask.putdata([255 if rng.random() < share else 0 for _ in range(width * height)])
    if seed % 2:  # stripes make the fill run down columns rather than along rows
        for x in range(0, width, 3):
            for y in range(height):
                mask.putpixel((x, y), 255 if y % 7 == 0 else 0)
    for from_bottom in (True, False):
        expected = naive_border_fill(mask, from_bottom)
        assert border_connected(mask, from_bottom=from_bottom).tobytes() == expected.tobytes()


def test_demo_previews_are_deterministic() -> None:
    backend = LocalPreviewBackend()
    calls = [
        backend.change_clothes(
            model_image=person_jpeg("Ava"),
            garment_image=garment_jpeg("black-hoodie"),
            category="upper_body",
        )
        for _ in range(2)
    ]
    assert calls[0] == calls[1]
