"""Decode, validate and normalise uploaded pictures with Pillow.

Everything the app sends to a backend or stores goes through :func:`normalize_image`:
the result is a baseline RGB JPEG with the EXIF orientation applied, the long side
bounded, colours converted to sRGB, and no metadata at all (no EXIF, so no GPS
position, no XMP, no comment, no ICC profile).

Untrusted bytes are handled defensively: the size in bytes, the format, the pixel
count and the memory decoding would take are checked from the header before anything
is decoded, Pillow's decompression bomb warning is turned into our error, truncated
files are refused (the global ``ImageFile.LOAD_TRUNCATED_IMAGES`` is never touched),
and nothing after the end of a picture is ever kept. Every refusal is an
:class:`~tryon.exceptions.InvalidImageError` whose message can be shown to a shopper.

The modules, one concern each (import from ``tryon.images``, not from them):

- ``formats``: which formats are accepted, and a file's type from its magic bytes;
- ``probe``: reading untrusted bytes safely (size, format, pixel-count and bomb guards);
- ``budget``: the memory a decode would take, refused over ``MAX_DECODE_BYTES``;
- ``decoders``: the few threads per process that decode (``MAX_CONCURRENT_DECODES``);
- ``decode``: decoding to a bounded, upright RGB picture (JPEG draft, EXIF orientation);
- ``colorspace``: converting embedded colour profiles to sRGB;
- ``encode``: writing a metadata-free JPEG;
- ``jpeg``: recognising a JPEG that is already clean, to its last byte;
- ``normalize``: the whole pipeline, :func:`normalize_image`.
"""

from __future__ import annotations

from .decode import bounded_size
from .encode import encode_jpeg
from .formats import ACCEPTED_FORMATS, IMAGE_TYPES, image_type_for_format, sniff_image_type
from .normalize import NormalizedImage, image_fingerprint, normalize_image
from .probe import ImageInfo, probe_image

__all__ = [
    "ACCEPTED_FORMATS",
    "IMAGE_TYPES",
    "ImageInfo",
    "NormalizedImage",
    "bounded_size",
    "encode_jpeg",
    "image_fingerprint",
    "image_type_for_format",
    "normalize_image",
    "probe_image",
    "sniff_image_type",
]
