"""Prompt mode offline: the colour a prompt names, its seed, and the provider's ranges."""

from __future__ import annotations

import hashlib
import re
import secrets

from PIL import Image, ImageOps

from ...exceptions import ProviderInvalidInputError
from ...parameters import GUIDANCE_SCALE_RANGE, INFERENCE_STEPS_RANGE, SEED_MAX, SEED_MIN
from .cutout import RGB

__all__ = ["PROMPT_COLORS", "check_prompt_parameters", "prompt_color", "seed_for", "tint"]

# Colour words understood in prompt mode; the first one named in the prompt wins.
PROMPT_COLORS: dict[str, RGB] = {
    "red": (200, 30, 40),
    "blue": (35, 75, 190),
    "green": (40, 140, 60),
    "black": (28, 28, 30),
    "white": (240, 240, 236),
    "yellow": (235, 200, 40),
    "pink": (235, 130, 170),
    "purple": (120, 50, 150),
    "orange": (240, 120, 30),
    "grey": (128, 128, 128),
    "gray": (128, 128, 128),
    "brown": (120, 75, 40),
    "beige": (220, 200, 160),
}
_NEUTRAL_TINT: RGB = (110, 118, 130)  # slate, when the prompt names no colour
_COLOR_WORDS = re.compile(r"\b(" + "|".join(PROMPT_COLORS) + r")\b", re.IGNORECASE)


def prompt_color(prompt: str) -> RGB:
    """The colour first named in ``prompt`` (``PROMPT_COLORS``), else a neutral slate."""
    match = _COLOR_WORDS.search(prompt)
    return PROMPT_COLORS[match[1].lower()] if match else _NEUTRAL_TINT


def tint(img: Image.Image, color: RGB) -> Image.Image:
    """``img`` recoloured in shades of ``color``, keeping its light and shade."""
    dark = tuple(round(c * 0.35) for c in color)
    light = tuple(round(c + (255 - c) * 0.55) for c in color)
    return ImageOps.colorize(ImageOps.grayscale(img), black=dark, white=light, mid=color)


def seed_for(prompt: str, seed: int | None, randomize_seed: bool | None) -> int:
    """The seed to report: random if asked, the given one, else one from the prompt."""
    if randomize_seed:
        return secrets.randbelow(SEED_MAX + 1)
    if seed is not None:
        return seed
    digest = hashlib.sha256(prompt.strip().encode()).digest()
    return int.from_bytes(digest[:4], "big") & SEED_MAX


def check_prompt_parameters(
    seed: int | None, guidance_scale: float | None, num_inference_steps: int | None
) -> None:
    """The provider's documented ranges, so a preview fails where a real call would."""
    if seed is not None and not SEED_MIN <= seed <= SEED_MAX:
        raise ProviderInvalidInputError(f"seed must be between {SEED_MIN} and {SEED_MAX}.")
    low, high = GUIDANCE_SCALE_RANGE
    if guidance_scale is not None and not low <= guidance_scale <= high:
        raise ProviderInvalidInputError(f"guidance_scale must be between {low} and {high}.")
    low, high = INFERENCE_STEPS_RANGE
    if num_inference_steps is not None and not low <= num_inference_steps <= high:
        raise ProviderInvalidInputError(f"num_inference_steps must be between {low} and {high}.")
