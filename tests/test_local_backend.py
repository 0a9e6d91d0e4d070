from __future__ import annotations

import base64
import io

import pytest
from PIL import Image, ImageChops

from tests import images as t
from tryon.backends import get_backend
from tryon.backends.local import CATEGORY_BANDS, LocalPreviewBackend, prompt_color
from tryon.exceptions import InvalidImageError, ProviderInvalidInputError
from tryon.images import normalize_image

WIDTH, HEIGHT = 600, 900
NEAR_WHITE = (255, 255, 255)


@pytest.fixture(scope="module")
def person() -> bytes:
    return t.person_photo(WIDTH, HEIGHT)


@pytest.fixture(scope="module")
def person_pixels(person: bytes) -> Image.Image:
    """The person photo as the backend sees it (normalised)."""
    return t.open_rgb(normalize_image(person).content)


def try_on(person: bytes, category: str, **garment: object) -> Image.Image:
    result = LocalPreviewBackend().change_clothes(
        model_image=person, garment_image=t.garment_photo(category, **garment), category=category
    )
    return t.open_rgb(result.image.content)


def band_of(img: Image.Image, category: str) -> Image.Image:
    """The rows of ``img`` where ``category`` goes (a little more), without the label."""
    top = CATEGORY_BANDS[category][0] - 0.03
    return img.crop((0, round(top * img.height), img.width, round(0.92 * img.height)))


# -- placement -------------------------------------------------------------------------


@pytest.mark.parametrize("category", list(CATEGORY_BANDS))
def test_garment_lands_in_the_band_of_its_category(person: bytes, category: str) -> None:
    img = try_on(person, category)
    color = t.GARMENT_COLORS[category]

    rows = t.rows_with_color(img, color, tolerance=30, min_pixels=5)

    top, bottom = (round(f * HEIGHT) for f in CATEGORY_BANDS[category])
    slack = round(0.02 * HEIGHT)
    assert rows, "the garment is missing"
    assert top - slack <= rows[0] <= top + slack  # starts at the top of the band
    assert rows[-1] <= bottom + slack  # and never spills below it
    assert rows[-1] - rows[0] >= 0.5 * (bottom - top)  # it fills a good part of it
    assert t.count_color(img, color, 30) > 0.03 * WIDTH * HEIGHT


def test_categories_use_different_regions(person: bytes) -> None:
    spans = {
        category: t.rows_with_color(try_on(person, category), t.GARMENT_COLORS[category], 30, 5)
        for category in CATEGORY_BANDS
    }
    assert spans["upper_body"][-1] < 0.58 * HEIGHT  # nothing on the legs
    assert spans["lower_body"][0] > 0.45 * HEIGHT  # nothing on the chest
    assert spans["dresses"][0] < 0.22 * HEIGHT and spans["dresses"][-1] > 0.75 * HEIGHT


def test_garment_is_centred_on_the_person_not_the_photo(person: bytes) -> None:
    # The figure stands left of centre: the shirt must follow it.
    shifted = Image.new("RGB", (WIDTH, HEIGHT), t.PERSON_BACKGROUND)
    shifted.paste(t.person_image(WIDTH, HEIGHT).crop((100, 0, WIDTH, HEIGHT)), (0, 0))
    img = try_on(t.encode(shifted, "JPEG", quality=95), "upper_body")

    columns = t.color_mask(img, t.GARMENT_COLORS["upper_body"], 30).getbbox()
    assert columns is not None
    centre = (columns[0] + columns[2]) / 2
    assert abs(centre - (WIDTH / 2 - 100)) < 0.03 * WIDTH


def test_person_on_a_busy_background_gets_the_garment_centred() -> None:
    busy_person = t.encode(t.photo_like(WIDTH, HEIGHT, seed_color=(90, 140, 90)), "JPEG")
    img = try_on(busy_person, "upper_body")
    box = t.color_mask(img, t.GARMENT_COLORS["upper_body"], 30).getbbox()
    assert box is not None
    assert abs((box[0] + box[2]) / 2 - WIDTH / 2) < 0.02 * WIDTH
    assert abs(box[1] - 0.18 * HEIGHT) < 0.02 * HEIGHT


# -- background removal ----------------------------------------------------------------


@pytest.mark.parametrize("category", list(CATEGORY_BANDS))
def test_garment_photo_background_is_not_pasted(
    person: bytes, person_pixels: Image.Image, category: str
) -> None:
    img = band_of(try_on(person, category), category)
    # The garment photo's background is pure white: no near-white pixel may appear
    # where the person photo had none.
    appeared = ImageChops.subtract(
        t.color_mask(img, NEAR_WHITE, 12),
        t.color_mask(band_of(person_pixels, category), NEAR_WHITE, 12),
    )
    # A pasted background would be thousands of pixels; allow a few JPEG-ringing specks.
    assert appeared.histogram()[0] >= appeared.width * appeared.height - 4


def test_person_shows_through_gaps_inside_the_garment_outline(
    person: bytes, person_pixels: Image.Image
) -> None:
    img = try_on(person, "lower_body")
    blue = t.GARMENT_COLORS["lower_body"]
    y = round(0.9 * HEIGHT)
    legs = [x for x in range(WIDTH) if t.is_close(img.getpixel((x, y)), blue, 30)]
    inside_gap = [x for x in range(legs[0], legs[-1]) if x not in legs]
    assert len(inside_gap) > 10  # between the trouser legs, inside their bounding box

    for x in inside_gap[3:-3]:  # away from the feathered edges
        assert t.is_close(img.getpixel((x, y)), person_pixels.getpixel((x, y)), 20)


def test_light_print_inside_the_garment_is_kept(person: bytes) -> None:
    garment = t.garment_image("upper_body")
    garment.paste((255, 255, 255), (200, 250, 300, 330))  # a white logo on the chest
    result = LocalPreviewBackend().change_clothes(
        model_image=person, garment_image=t.encode(garment, "PNG"), category="upper_body"
    )
    img = band_of(t.open_rgb(result.image.content), "upper_body")
    # The print is there (not the person's shirt showing through a hole).
    assert t.count_color(img, NEAR_WHITE, 12) > 0.5 * 100 * 80 * 0.6**2


def test_garment_without_plain_background_is_pasted_whole(person: bytes) -> None:
    busy = t.photo_like(500, 600, seed_color=(200, 30, 40))
    result = LocalPreviewBackend().change_clothes(
        model_image=person, garment_image=t.encode(busy, "JPEG"), category="upper_body"
    )
    img = t.open_rgb(result.image.content)
    assert img.size == (WIDTH, HEIGHT)
    assert img.getpixel((WIDTH // 2, round(0.3 * HEIGHT))) != t.open_rgb(person).getpixel(
        (WIDTH // 2, round(0.3 * HEIGHT))
    )


# -- the result ------------------------------------------------------------------------


def test_result_is_a_labelled_preview_jpeg_of_the_person_photo_size(person: bytes) -> None:
    backend = LocalPreviewBackend()
    result = backend.change_clothes(
        model_image=person, garment_image=t.garment_photo(), category="upper_body"
    )

    assert backend.is_paid is False
    assert result.is_preview is True
    assert (result.provider_calls, result.seed, result.cache_hit) == (0, None, False)
    assert result.image.url is None and result.mask is not None and result.mask.url is None
    for content in (result.image.content, result.mask.content):
        assert content is not None
        with Image.open(io.BytesIO(content)) as img:
            assert (img.format, img.mode, img.size) == ("JPEG", "RGB", (WIDTH, HEIGHT))


def test_large_person_photo_gives_a_result_of_its_normalised_size() -> None:
    person = t.encode(t.person_image(1500, 2250), "JPEG")
    result = LocalPreviewBackend().change_clothes(
        model_image=person, garment_image=t.garment_photo("dresses"), category="dresses"
    )
    assert t.open_rgb(result.image.content).size == (1365, 2048)


def test_mask_shows_the_replaced_region(person: bytes, person_pixels: Image.Image) -> None:
    result = LocalPreviewBackend().change_clothes(
        model_image=person, garment_image=t.garment_photo("lower_body"), category="lower_body"
    )
    mask = t.open_rgb(result.mask.content)
    changed = [
        y
        for y in range(0, HEIGHT, 10)
        if not t.is_close(
            mask.getpixel((WIDTH // 2 - 40, y)), person_pixels.getpixel((WIDTH // 2 - 40, y)), 20
        )
    ]
    assert changed and min(changed) >= 0.46 * HEIGHT and max(changed) <= 0.96 * HEIGHT
    # Outside the region the mask picture is the person photo.
    assert t.is_close(mask.getpixel((WIDTH // 2, 60)), person_pixels.getpixel((WIDTH // 2, 60)), 8)


def test_preview_label_is_drawn_in_the_corner(person: bytes, person_pixels: Image.Image) -> None:
    img = try_on(person, "upper_body")

    def changed_pixels(box: tuple[int, int, int, int]) -> int:
        return sum(
            not t.is_close(img.getpixel((x, y)), person_pixels.getpixel((x, y)), 40)
            for x in range(box[0], box[2])
            for y in range(box[1], box[3])
        )

    corner = (int(WIDTH * 0.7), int(HEIGHT * 0.93), WIDTH, HEIGHT)
    assert changed_pixels(corner) > 500  # the badge and its text
    assert changed_pixels((0, corner[1], WIDTH - corner[2] + corner[0], HEIGHT)) == 0


def test_same_inputs_give_the_same_bytes(person: bytes) -> None:
    backend = LocalPreviewBackend()
    calls = [
        backend.change_clothes(
            model_image=person, garment_image=t.garment_photo(), category="upper_body"
        )
        for _ in range(2)
    ]
    assert calls[0] == calls[1]
    prompts = [
        backend.change_clothes_by_prompt(model_image=person, prompt="a red shirt") for _ in range(2)
    ]
    assert prompts[0] == prompts[1]


# -- inputs ----------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["https://cdn.example.com/p.jpg", "http://127.0.0.1/p.jpg"])
@pytest.mark.parametrize("field", ["model_image", "garment_image"])
def test_urls_are_refused_without_any_network(person: bytes, url: str, field: str) -> None:
    images = {"model_image": person, "garment_image": t.garment_photo(), field: url}
    with pytest.raises(ProviderInvalidInputError, match="needs image files, not URLs"):
        LocalPreviewBackend().change_clothes(category="upper_body", **images)


def test_data_uris_are_decoded(person: bytes) -> None:
    backend = LocalPreviewBackend()
    garment = t.garment_photo()
    as_uri = "data:image/jpeg;base64," + base64.b64encode(garment).decode()
    from_uri = backend.change_clothes(
        model_image=person, garment_image=as_uri, category="upper_body"
    )
    from_bytes = backend.change_clothes(
        model_image=person, garment_image=garment, category="upper_body"
    )
    assert from_uri == from_bytes


@pytest.mark.parametrize("value", ["data:image/jpeg;base64,@@not base64@@", "/etc/passwd", ""])
def test_other_strings_are_refused(person: bytes, value: str) -> None:
    with pytest.raises(ProviderInvalidInputError):
        LocalPreviewBackend().change_clothes(
            model_image=person, garment_image=value, category="upper_body"
        )


def test_inputs_are_validated_like_uploads(person: bytes) -> None:
    with pytest.raises(InvalidImageError, match="too large"):
        LocalPreviewBackend().change_clothes(
            model_image=person, garment_image=t.bomb_png(), category="upper_body"
        )
    with pytest.raises(InvalidImageError, match="not an image"):
        LocalPreviewBackend().change_clothes(
            model_image=t.SVG, garment_image=t.garment_photo(), category="dresses"
        )


def test_unknown_category_is_refused(person: bytes) -> None:
    with pytest.raises(ProviderInvalidInputError, match="upper_body, lower_body, dresses"):
        LocalPreviewBackend().change_clothes(
            model_image=person, garment_image=t.garment_photo(), category="shoes"
        )


def test_backend_can_be_configured_by_dotted_path() -> None:
    assert isinstance(get_backend("tryon.backends.local.LocalPreviewBackend"), LocalPreviewBackend)


# -- prompt mode -----------------------------------------------------------------------


def dominant(pixel: tuple[int, ...]) -> str:
    names = ("red", "green", "blue")
    ranked = sorted(zip(pixel, names, strict=True), reverse=True)
    return ranked[0][1] if ranked[0][0] - ranked[1][0] > 40 else "none"


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("Change into a RED shirt", "red"),
        ("a blue striped shirt", "blue"),
        ("a green blouse with red buttons", "green"),
    ],
)
def test_prompt_tints_the_torso_with_the_named_colour(
    person: bytes, person_pixels: Image.Image, prompt: str, expected: str
) -> None:
    result = LocalPreviewBackend().change_clothes_by_prompt(model_image=person, prompt=prompt)
    img = t.open_rgb(result.image.content)

    chest, legs = (WIDTH // 2, round(0.35 * HEIGHT)), (WIDTH // 2 - 40, round(0.8 * HEIGHT))
    assert dominant(person_pixels.getpixel(chest)) != expected
    assert dominant(img.getpixel(chest)) == expected
    assert t.is_close(img.getpixel(legs), person_pixels.getpixel(legs), 8)  # legs untouched
    assert result.is_preview and result.provider_calls == 0


def test_prompt_without_a_colour_gets_a_neutral_tint(
    person: bytes, person_pixels: Image.Image
) -> None:
    assert prompt_color("a striped shirt") == prompt_color("something else")
    assert prompt_color("a Grey coat") == prompt_color("a gray coat") == (128, 128, 128)
    result = LocalPreviewBackend().change_clothes_by_prompt(
        model_image=person, prompt="a striped shirt"
    )
    chest = (WIDTH // 2, round(0.35 * HEIGHT))
    pixel = t.open_rgb(result.image.content).getpixel(chest)
    assert not t.is_close(pixel, person_pixels.getpixel(chest), 10)
    assert dominant(pixel) == "none"


def test_prompt_seed(person: bytes) -> None:
    backend = LocalPreviewBackend()

    def seed(**kwargs: object) -> int | None:
        return backend.change_clothes_by_prompt(model_image=person, **kwargs).seed  # type: ignore[arg-type]

    assert seed(prompt="a red shirt", seed=42) == 42
    derived = seed(prompt="a red shirt")
    assert derived is not None and 0 <= derived <= 2**31 - 1
    assert seed(prompt="a red shirt") == derived
    assert seed(prompt="a blue shirt") != derived
    randomized = seed(prompt="a red shirt", seed=42, randomize_seed=True)
    assert randomized is not None and 0 <= randomized <= 2**31 - 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"prompt": ""},
        {"prompt": "   "},
        {"prompt": "red", "seed": -1},
        {"prompt": "red", "seed": 2**31},
        {"prompt": "red", "guidance_scale": 0.5},
        {"prompt": "red", "guidance_scale": 100.5},
        {"prompt": "red", "num_inference_steps": 0},
        {"prompt": "red", "num_inference_steps": 51},
    ],
)
def test_prompt_parameters_are_checked(person: bytes, kwargs: dict[str, object]) -> None:
    with pytest.raises(ProviderInvalidInputError):
        LocalPreviewBackend().change_clothes_by_prompt(model_image=person, **kwargs)  # type: ignore[arg-type]


def test_prompt_mode_refuses_urls() -> None:
    with pytest.raises(ProviderInvalidInputError, match="not URLs"):
        LocalPreviewBackend().change_clothes_by_prompt(
            model_image="https://x.test/p.jpg", prompt="red"
        )
