"""Test pictures made on the fly with Pillow, for any test that needs image bytes.

Every generator is deterministic: the same call returns the same bytes.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Sequence

from PIL import Image, ImageChops, ImageCms, ImageDraw

RGB = tuple[int, int, int]

# The colours the drawings use, so tests can look for them in results.
PERSON_BACKGROUND: RGB = (232, 232, 228)
SKIN: RGB = (222, 178, 146)
PERSON_CLOTHES: RGB = (60, 72, 88)
GARMENT_COLORS: dict[str, RGB] = {
    "upper_body": (200, 30, 40),  # red T-shirt
    "lower_body": (30, 70, 190),  # blue trousers
    "dresses": (30, 150, 60),  # green dress
}


# -- plain encodings -------------------------------------------------------------------


def solid(
    width: int, height: int, color: RGB | int | tuple[int, ...] = (180, 60, 60), mode: str = "RGB"
) -> Image.Image:
    return Image.new(mode, (width, height), color)


def encode(img: Image.Image, format: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, format, **params)
    return buffer.getvalue()


def jpeg_bytes(
    width: int = 640,
    height: int = 480,
    color: RGB = (180, 60, 60),
    *,
    exif_gps: bool = False,
    orientation: int | None = None,
    corner_color: RGB | None = None,
    quality: int = 90,
    **params: object,
) -> bytes:
    """A JPEG; ``corner_color`` paints the stored top-left quarter to track rotations."""
    img = solid(width, height, color)
    if corner_color is not None:
        ImageDraw.Draw(img).rectangle((0, 0, width // 4, height // 4), fill=corner_color)
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    if exif_gps:
        _add_gps(exif)
    if len(exif):
        params["exif"] = exif.tobytes()
    return encode(img, "JPEG", quality=quality, **params)


def _add_gps(exif: Image.Exif) -> None:
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "PhoneModel X"  # Model
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"  # GPSLatitudeRef
    gps[2] = (48.0, 51.0, 29.6)  # GPSLatitude: Paris
    gps[3] = "E"
    gps[4] = (2.0, 17.0, 40.2)


def gps_exif_jpeg(width: int = 800, height: int = 600) -> bytes:
    """A phone-like JPEG with a GPS position, a comment, XMP and an ICC profile."""
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/'
        b'1999/02/22-rdf-syntax-ns#"><rdf:Description photoshop:City="Paris"/>'
        b"</rdf:RDF></x:xmpmeta>"
    )
    return jpeg_bytes(
        width,
        height,
        (90, 140, 200),
        exif_gps=True,
        comment=b"shot at home",
        xmp=xmp,
        icc_profile=srgb_icc(),
    )


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def png_bytes(
    width: int = 640,
    height: int = 480,
    color: RGB | int | tuple[int, ...] = (60, 140, 90),
    *,
    mode: str = "RGB",
    **params: object,
) -> bytes:
    return encode(solid(width, height, color, mode), "PNG", **params)


def sixteen_bit_png(width: int = 400, height: int = 300, level: int = 40000) -> bytes:
    """A 16-bit greyscale PNG (Pillow mode ``I;16``) at ``level`` out of 65535."""
    return encode(Image.new("I;16", (width, height), level), "PNG")


def palette_png_with_transparency(width: int = 400, height: int = 300) -> bytes:
    """A palette PNG: left half transparent, right half opaque red."""
    img = Image.new("P", (width, height), 0)
    img.putpalette([0, 0, 0, 255, 0, 0] + [0] * (256 * 3 - 6))
    ImageDraw.Draw(img).rectangle((width // 2, 0, width, height), fill=1)
    return encode(img, "PNG", transparency=0)


def rgba_png(width: int = 400, height: int = 300) -> bytes:
    """Left half fully transparent (black underneath), right half opaque blue."""
    img = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ImageDraw.Draw(img).rectangle((width // 2, 0, width, height), fill=(0, 0, 255, 255))
    return encode(img, "PNG")


def cmyk_jpeg(
    width: int = 400, height: int = 300, color: tuple[int, int, int, int] = (0, 255, 255, 0)
) -> bytes:
    """A CMYK JPEG (Adobe style); the default colour is pure red in CMYK."""
    return encode(solid(width, height, color, "CMYK"), "JPEG", quality=95)


def webp_bytes(width: int = 400, height: int = 300, color: RGB = (120, 60, 160)) -> bytes:
    return encode(solid(width, height, color), "WEBP", quality=90)


def gif_bytes(width: int = 400, height: int = 300, color: RGB = (250, 200, 40)) -> bytes:
    return encode(solid(width, height, color), "GIF")


def _frames(width: int, height: int) -> list[Image.Image]:
    return [solid(width, height, c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]


def animated_gif(width: int = 400, height: int = 300) -> bytes:
    first, *rest = _frames(width, height)
    return encode(first, "GIF", save_all=True, append_images=rest, duration=100, loop=0)


def animated_png(width: int = 400, height: int = 300) -> bytes:
    first, *rest = _frames(width, height)
    return encode(first, "PNG", save_all=True, append_images=rest, duration=100)


def animated_webp(width: int = 400, height: int = 300) -> bytes:
    first, *rest = _frames(width, height)
    return encode(first, "WEBP", save_all=True, append_images=rest, duration=100)


# -- hostile and broken files ----------------------------------------------------------


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` pixels (default 10 gigapixels)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    pixels = zlib.compress(b"\x00" * 1024, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", pixels)
        + _png_chunk(b"IEND", b"")
    )


def truncated_jpeg(width: int = 800, height: int = 600) -> bytes:
    """The first half of a (busy, so not trivially small) JPEG."""
    data = encode(Image.effect_noise((width, height), 60).convert("RGB"), "JPEG", quality=90)
    return data[: len(data) // 2]


def truncated_png(width: int = 800, height: int = 600) -> bytes:
    data = encode(Image.effect_noise((width, height), 60).convert("RGB"), "PNG")
    return data[: len(data) // 2]


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="800" height="600">'
    b'<rect width="800" height="600" fill="red"/></svg>'
)
HTML = b"<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>"
TEXT = b"just some text, not a picture\n" * 20


# -- realistic photos ------------------------------------------------------------------


def photo_like(width: int, height: int, *, seed_color: RGB = (150, 120, 90)) -> Image.Image:
    """A busy, photo-like picture (gradient plus grain) that does not compress to nothing."""
    gradient = Image.radial_gradient("L").resize((width, height))
    grain = Image.effect_noise((width, height), 24)
    luminance = Image.blend(gradient, grain, 0.35)
    return Image.merge(
        "RGB",
        [luminance.point(lambda v, c=c: (v + c) // 2) for c in seed_color],
    )


def large_jpeg(width: int = 6000, height: int = 4000, *, orientation: int | None = None) -> bytes:
    """A 24-megapixel phone-sized JPEG (optionally with an EXIF orientation)."""
    params: dict[str, object] = {}
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
        params["exif"] = exif.tobytes()
    return encode(photo_like(width, height), "JPEG", quality=90, **params)


def person_image(width: int = 600, height: int = 900) -> Image.Image:
    """A figure standing on a plain light background: head, arms, torso, legs.

    The torso (18%-55% of the height) and legs (55%-95%) are ``PERSON_CLOTHES``; the
    figure is centred and about 40% of the width wide at the shoulders.
    """
    img = Image.new("RGB", (width, height), PERSON_BACKGROUND)
    draw = ImageDraw.Draw(img)
    cx = width // 2
    torso = width * 0.17

    def y(fraction: float) -> int:
        return round(height * fraction)

    draw.ellipse((cx - width * 0.08, y(0.03), cx + width * 0.08, y(0.16)), fill=SKIN)
    draw.rectangle((cx - width * 0.04, y(0.15), cx + width * 0.04, y(0.19)), fill=SKIN)
    draw.rectangle((cx - torso - width * 0.06, y(0.19), cx - torso, y(0.50)), fill=SKIN)
    draw.rectangle((cx + torso, y(0.19), cx + torso + width * 0.06, y(0.50)), fill=SKIN)
    draw.rectangle((cx - torso, y(0.18), cx + torso, y(0.56)), fill=PERSON_CLOTHES)
    draw.rectangle((cx - torso, y(0.55), cx - width * 0.01, y(0.95)), fill=PERSON_CLOTHES)
    draw.rectangle((cx + width * 0.01, y(0.55), cx + torso, y(0.95)), fill=PERSON_CLOTHES)
    return img


def person_photo(width: int = 600, height: int = 900) -> bytes:
    return encode(person_image(width, height), "JPEG", quality=95)


def garment_polygon(category: str, width: int, height: int) -> list[tuple[float, float]]:
    """The outline of a flat-lay garment filling most of a ``width`` x ``height`` frame."""

    def at(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
        return [(x * width, y * height) for x, y in points]

    if category == "upper_body":  # a T-shirt: body plus short sleeves
        return at(
            [
                (0.35, 0.1),
                (0.65, 0.1),
                (0.9, 0.22),
                (0.82, 0.38),
                (0.72, 0.33),
                (0.72, 0.9),
                (0.28, 0.9),
                (0.28, 0.33),
                (0.18, 0.38),
                (0.1, 0.22),
            ]
        )
    if category == "lower_body":  # trousers: waistband and two legs
        return at(
            [
                (0.3, 0.08),
                (0.7, 0.08),
                (0.75, 0.92),
                (0.55, 0.92),
                (0.5, 0.35),
                (0.45, 0.92),
                (0.25, 0.92),
            ]
        )
    if category == "dresses":  # straps, fitted top, A-line skirt
        return at(
            [
                (0.38, 0.06),
                (0.42, 0.06),
                (0.44, 0.2),
                (0.56, 0.2),
                (0.58, 0.06),
                (0.62, 0.06),
                (0.64, 0.4),
                (0.85, 0.94),
                (0.15, 0.94),
                (0.36, 0.4),
            ]
        )
    raise ValueError(f"unknown category {category!r}")


def garment_image(
    category: str = "upper_body",
    *,
    color: RGB | None = None,
    width: int = 500,
    height: int = 600,
    background: RGB = (255, 255, 255),
) -> Image.Image:
    """A plausible product shot: one garment of a single colour on a plain background."""
    img = Image.new("RGB", (width, height), background)
    fill = color or GARMENT_COLORS[category]
    ImageDraw.Draw(img).polygon(garment_polygon(category, width, height), fill=fill)
    return img


def garment_photo(category: str = "upper_body", **kwargs: object) -> bytes:
    return encode(garment_image(category, **kwargs), "JPEG", quality=95)  # type: ignore[arg-type]


# -- looking at results ----------------------------------------------------------------


def open_rgb(content: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(content))
    img.load()
    return img.convert("RGB")


def is_close(pixel: Sequence[int], color: Sequence[int], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, color, strict=True))


def color_mask(img: Image.Image, color: RGB, tolerance: int = 40) -> Image.Image:
    """An L mask, 255 where ``img`` is within ``tolerance`` of ``color`` in every channel."""
    bands = [
        band.point(lambda v, c=c: 255 if abs(v - c) <= tolerance else 0)
        for band, c in zip(img.convert("RGB").split(), color, strict=True)
    ]

    return ImageChops.darker(ImageChops.darker(bands[0], bands[1]), bands[2])


def rows_with_color(
    img: Image.Image, color: RGB, tolerance: int = 40, min_pixels: int = 3
) -> list[int]:
    """The indices of the rows holding at least ``min_pixels`` pixels of ``color``."""
    mask = color_mask(img, color, tolerance)
    width = mask.width
    data = mask.tobytes()
    return [
        row
        for row in range(mask.height)
        if data[row * width : (row + 1) * width].count(255) >= min_pixels
    ]


def count_color(img: Image.Image, color: RGB, tolerance: int = 40) -> int:
    return color_mask(img, color, tolerance).tobytes().count(255)


# -- colour profiles -------------------------------------------------------------------

_SRGB_PRIMARIES_D50 = {
    "r": (0.4361, 0.2225, 0.0139),
    "g": (0.3851, 0.7169, 0.0971),
    "b": (0.1431, 0.0606, 0.7141),
}


def _s15f16(*values: float) -> bytes:
    return b"".join(struct.pack(">i", round(v * 65536)) for v in values)


def _icc_xyz(xyz: tuple[float, float, float]) -> bytes:
    return b"XYZ \0\0\0\0" + _s15f16(*xyz)


def _icc_desc(text: str) -> bytes:
    ascii_text = text.encode("ascii") + b"\0"
    return (
        b"desc\0\0\0\0"
        + struct.pack(">I", len(ascii_text))
        + ascii_text
        + b"\0" * 8  # no Unicode description
        + b"\0" * 3
        + b"\0" * 67  # no ScriptCode description
    )


def swapped_rgb_icc() -> bytes:
    """A valid RGB display profile whose red and blue primaries are swapped.

    A pixel (255, 0, 0) tagged with it *is* sRGB blue: a converter that honours the
    profile turns it blue, one that ignores it leaves it red.
    """
    primaries = {
        "r": _SRGB_PRIMARIES_D50["b"],
        "g": _SRGB_PRIMARIES_D50["g"],
        "b": _SRGB_PRIMARIES_D50["r"],
    }
    gamma = b"curv\0\0\0\0" + struct.pack(">IH", 1, round(2.2 * 256)) + b"\0\0"
    tags = [
        (b"desc", _icc_desc("Swapped RGB test profile")),
        (b"wtpt", _icc_xyz((0.9642, 1.0, 0.8249))),
        (b"rXYZ", _icc_xyz(primaries["r"])),
        (b"gXYZ", _icc_xyz(primaries["g"])),
        (b"bXYZ", _icc_xyz(primaries["b"])),
        (b"rTRC", gamma),
        (b"gTRC", gamma),
        (b"bTRC", gamma),
        (b"cprt", b"text\0\0\0\0No copyright\0"),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for signature, data in tags:
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += data + b"\0" * (-len(data) % 4)
    size = offset + len(body)
    header = (
        struct.pack(">I", size)
        + b"\0\0\0\0"
        + struct.pack(">I", 0x02100000)
        + b"mntrRGB XYZ "
        + b"\0" * 12
        + b"acsp"
        + b"\0" * 28
        + _s15f16(0.9642, 1.0, 0.8249)
        + b"\0" * 48
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + body
