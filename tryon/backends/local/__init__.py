"""An offline backend: pastes the garment photo onto the person photo with Pillow.

It needs no credentials and makes no network call, so a shop can try the whole flow
(widget, queue, storage, admin) before buying credits, and the example project runs
out of the box. The pictures are honestly labelled ``PREVIEW``: this is a collage,
not an AI result, and ``BackendResult.is_preview`` says so.

How a garment is placed:

1. The garment photo's background is what looks like its border colour *and* joins
   the border (a flood fill from the edge): white fabric inside the garment's outline
   stays, open gaps (between trouser legs, under sleeves) go.
2. The person's silhouette is found the same way on the model photo, and read for
   landmarks (``body``): chin, shoulders, waist, knees, feet, and the widths of the
   arms' span, the torso, the hips and the legs.
3. The garment is sized and placed on them (``fit``): a top as wide as the arms' span
   with its shoulders on the person's, trousers on the waist as wide as the hips and
   the legs, a dress from the base of the neck; nothing goes above the chin, and
   hands hanging clear stay in front of skirts and dresses. Composited through a
   feathered mask (``compose``).
4. When no standing figure can be measured (a busy background, a close-up), the
   garment goes into the category's band of the photo (``CATEGORY_BANDS``) instead.

Everything is deterministic: the same inputs give the same bytes (the dedup by
fingerprint relies on stable results).

The backend is defined here, so that its documented dotted path
(``tryon.backends.local.LocalPreviewBackend``) is also its own; the steps live in
``inputs`` (bytes and data: URIs), ``flood`` and ``cutout`` (what stands out from a
plain background), ``body``, ``fit``, ``placement`` and ``compose`` (where on the
body), ``prompt`` (prompt mode) and ``output`` (the labelled picture and mask).
"""

from __future__ import annotations

from PIL import Image

from ...exceptions import ProviderInvalidInputError
from ..base import BackendResult, BaseBackend, ImageInput
from .compose import dress
from .inputs import image_bytes, load_rgb
from .output import preview_result
from .placement import CATEGORY_BANDS, torso_region
from .prompt import PROMPT_COLORS, check_prompt_parameters, prompt_color, seed_for, tint

__all__ = ["CATEGORY_BANDS", "PROMPT_COLORS", "LocalPreviewBackend", "image_bytes", "prompt_color"]


class LocalPreviewBackend(BaseBackend):
    """Offline collage of the garment onto the person: free, instant, labelled PREVIEW."""

    is_paid = False

    def change_clothes(
        self,
        *,
        model_image: ImageInput,
        garment_image: ImageInput,
        category: str,
        description: str = "",
    ) -> BackendResult:
        """Paste the garment onto the person's body region for ``category``.

        ``description`` is accepted for the interface's sake; a collage has no use for it.
        """
        if category not in CATEGORY_BANDS:
            raise ProviderInvalidInputError(
                f"Unknown category {category!r}: use one of {', '.join(CATEGORY_BANDS)}."
            )
        person = load_rgb(model_image)
        result, full_mask = dress(person, load_rgb(garment_image), category)
        return preview_result(person, result, full_mask, seed=None)

    def change_clothes_by_prompt(
        self,
        *,
        model_image: ImageInput,
        prompt: str,
        seed: int | None = None,
        randomize_seed: bool | None = None,
        guidance_scale: float | None = None,
        num_inference_steps: int | None = None,
    ) -> BackendResult:
        """Tint the torso with the colour the prompt names (or a neutral slate).

        The pixels depend only on the photo and the prompt. The seed returned is the
        given one, a random one when ``randomize_seed`` is true (as the provider does),
        and otherwise one derived from the prompt, so repeating a request repeats it.
        ``guidance_scale`` and ``num_inference_steps`` are checked, then ignored.
        """
        if not prompt or not prompt.strip():
            raise ProviderInvalidInputError("A prompt is required.")
        check_prompt_parameters(seed, guidance_scale, num_inference_steps)
        person = load_rgb(model_image)
        region = torso_region(person)
        tinted = tint(person, prompt_color(prompt))
        result = Image.composite(tinted, person, region)
        return preview_result(person, result, region, seed=seed_for(prompt, seed, randomize_seed))
