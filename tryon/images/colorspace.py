"""Converting pixels from their embedded colour profile to sRGB.

The profile itself is never written out (see ``encode``), so pixels in another space
(a phone's Display P3, a print CMYK profile) would look wrong without this.
"""

from __future__ import annotations

import functools
import io

from PIL import Image, ImageCms

__all__ = ["to_srgb"]


def to_srgb(picture: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """Convert RGB or CMYK pixels from their embedded profile to sRGB.

    Profiles we cannot use, and profiles on other modes, are dropped: the pixels are
    then taken as sRGB.
    """
    if not icc_profile or picture.mode not in ("RGB", "CMYK"):
        return picture
    transform = _transform_to_srgb(bytes(icc_profile), picture.mode)
    if transform is None:
        return picture
    try:
        return ImageCms.applyTransform(picture, transform) or picture
    except (ImageCms.PyCMSError, OSError, ValueError):
        return picture


@functools.lru_cache(maxsize=16)
def _transform_to_srgb(icc_profile: bytes, mode: str) -> ImageCms.ImageCmsTransform | None:
    """A cached transform from ``icc_profile`` to sRGB, or ``None`` if not needed/usable."""
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        description = ImageCms.getProfileDescription(source) or ""
        if mode == "RGB" and description.strip().lower().startswith("srgb"):
            return None  # already sRGB: converting would only cost time
        return ImageCms.buildTransform(source, _srgb_profile(), mode, "RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None


@functools.cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
