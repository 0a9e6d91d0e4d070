"""The Change Clothes AI backend: the provider's two endpoints, their fields, its answers.

Everything HTTP (the client, retries, downloads, secrecy) is ``HttpBackend``'s. This
module is the provider's wire format: ``POST /api/openapi/change-clothes-ai`` and
``POST /api/openapi/change-clothes-by-prompt``, multipart forms whose every parameter is
checked before anything is sent (each POST is paid), a Bearer key, and answers
``{"code", "msg", "data"}`` whose code may also come as the HTTP status
(``changeclothes_codes`` says what each one means).

Options (``TRYON["BACKEND_OPTIONS"]["tryon.backends.changeclothes.ChangeClothesBackend"]``):
``API_KEY``, ``API_BASE_URL``, ``TIMEOUT``, ``MAX_RETRIES``, ``RETRY_BACKOFF``,
``MAX_DOWNLOAD_BYTES``, ``DOWNLOAD_TIMEOUT``; each one not given falls back to the
top-level key of the same name (and ``API_KEY``/``API_BASE_URL`` to the environment).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from functools import cached_property
from typing import Any, ClassVar

import httpx

from ..conf import DEFAULT_API_BASE_URL
from ..exceptions import (
    ProviderError,
    ProviderResponseError,
    TransientProviderError,
    TryOnConfigurationError,
)
from ..parameters import (
    CATEGORIES,
    GUIDANCE_SCALE_RANGE,
    INFERENCE_STEPS_RANGE,
    SEED_MAX,
    SEED_MIN,
)
from .base import BackendResult, GeneratedImage, ImageInput, Option, options_location
from .changeclothes_codes import ERROR_CLASSES, ERROR_DESCRIPTIONS, SUCCESS_CODE
from .http import HttpBackend, json_object, with_attempts
from .multipart import FormValue, image_value, invalid
from .urls import is_http_url

logger = logging.getLogger(__name__)

CHANGE_CLOTHES_PATH = "/api/openapi/change-clothes-ai"
CHANGE_CLOTHES_BY_PROMPT_PATH = "/api/openapi/change-clothes-by-prompt"


class ChangeClothesBackend(HttpBackend):
    """Generates try-ons with the provider; results come back as URLs to download.

    A failed call raises a ``tryon.exceptions.ProviderError`` whose ``attempts`` says how
    many paid requests were sent (0 when our own validation refused the input).
    """

    is_paid = True
    known_options: ClassVar[Mapping[str, Option]] = {
        **HttpBackend.known_options,
        "API_KEY": Option(setting="API_KEY", secret=True),
        "API_BASE_URL": Option(setting="API_BASE_URL"),
    }
    error_classes = ERROR_CLASSES
    error_descriptions = ERROR_DESCRIPTIONS
    base_url_example = DEFAULT_API_BASE_URL

    # -- settings --------------------------------------------------------------------------

    @cached_property
    def _api_key(self) -> str:
        key = self.option("API_KEY")
        if not isinstance(key, str) or not key.strip():
            raise TryOnConfigurationError(
                "TRYON['API_KEY'] is not set: add your Change Clothes AI key to the TRYON "
                "setting (or the TRYON_API_KEY environment variable, or the 'API_KEY' "
                f"option in {options_location(type(self))})."
            )
        return key.strip()

    def configure(self) -> None:
        super().configure()
        _ = self._api_key

    def request_headers(self) -> dict[str, str]:
        return {**super().request_headers(), "Authorization": f"Bearer {self._api_key}"}

    def unknown_code_error(self, code: int) -> type[ProviderError]:
        # An undocumented code in the 5xx range is the provider's own failure: worth a retry.
        return TransientProviderError if 500 <= code < 600 else ProviderError

    # -- the two endpoints -------------------------------------------------------------------

    def change_clothes(
        self,
        *,
        model_image: ImageInput,
        garment_image: ImageInput,
        category: str,
        description: str = "",
    ) -> BackendResult:
        """Put the garment onto the model (``POST /api/openapi/change-clothes-ai``)."""
        self.configure()
        try:
            fields = _garment_fields(model_image, garment_image, category, description)
        except ProviderError as exc:
            raise with_attempts(exc, 0) from None
        return self.post_form(CHANGE_CLOTHES_PATH, fields)

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
        """Dress the model as the prompt says (``POST /api/openapi/change-clothes-by-prompt``)."""
        self.configure()
        try:
            fields = _prompt_fields(
                model_image, prompt, seed, randomize_seed, guidance_scale, num_inference_steps
            )
        except ProviderError as exc:
            raise with_attempts(exc, 0) from None
        return self.post_form(CHANGE_CLOTHES_BY_PROMPT_PATH, fields)

    # -- answers -----------------------------------------------------------------------------

    def parse_response(self, response: httpx.Response) -> BackendResult:
        status = response.status_code
        body = json_object(response)
        code = _body_code(body) if body is not None else None
        if code is None:
            # No usable JSON: all we have is the HTTP status.
            what = "a body that is not JSON" if body is None else "an answer without a result code"
            self.raise_for_status(response, what)
        if code != SUCCESS_CODE:
            raise self.error_for_code(code, self.snippet(_body_msg(body)), status)
        if not 200 <= status < 300:
            # A success code under an error status: trust neither.
            self.raise_for_status(response, "an answer without a result code")
        return _parse_success(body or {}, status)


# -- the forms ---------------------------------------------------------------------------------


def _garment_fields(
    model_image: ImageInput, garment_image: ImageInput, category: str, description: str
) -> dict[str, FormValue]:
    if category not in CATEGORIES:
        invalid(f"category must be one of {', '.join(CATEGORIES)}; got {category!r}.")
    fields: dict[str, FormValue] = {
        "modelImg": image_value(model_image, "modelImg", "model"),
        "garmentImg": image_value(garment_image, "garmentImg", "garment"),
        "category": category,
    }
    if not isinstance(description, str):
        invalid("garmentDesc must be a string.")
    # The provider wants the field omitted, not sent empty.
    if description.strip():
        fields["garmentDesc"] = description.strip()
    return fields


def _prompt_fields(
    model_image: ImageInput,
    prompt: str,
    seed: int | None,
    randomize_seed: bool | None,
    guidance_scale: float | None,
    num_inference_steps: int | None,
) -> dict[str, FormValue]:
    if not isinstance(prompt, str) or not prompt.strip():
        invalid("prompt must be a non-empty string.")
    fields: dict[str, FormValue] = {
        "modelImg": image_value(model_image, "modelImg", "model"),
        "prompt": prompt.strip(),
    }
    # Every parameter is sent as a string, as the provider documents.
    if seed is not None:
        fields["seed"] = str(_validated_int(seed, "seed", SEED_MIN, SEED_MAX))
    if randomize_seed is not None:
        if not isinstance(randomize_seed, bool):
            invalid("randomize_seed must be True or False.")
        fields["randomize_seed"] = "true" if randomize_seed else "false"
    if guidance_scale is not None:
        fields["guidance_scale"] = _validated_number(guidance_scale, "guidance_scale")
    if num_inference_steps is not None:
        low, high = INFERENCE_STEPS_RANGE
        fields["num_inference_steps"] = str(
            _validated_int(num_inference_steps, "num_inference_steps", low, high)
        )
    return fields


def _validated_int(value: object, name: str, low: int, high: int) -> int:
    # bool is an int subclass; True as a seed is a bug, not 1.
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        invalid(f"{name} must be an integer from {low} to {high}; got {value!r}.")
    return value


def _validated_number(value: object, name: str) -> str:
    low, high = GUIDANCE_SCALE_RANGE
    if (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or not math.isfinite(value)
        or not low <= value <= high
    ):
        invalid(f"{name} must be a number from {low} to {high}; got {value!r}.")
    if isinstance(value, float) and not value.is_integer():
        return repr(value)
    return str(int(value))


# -- the answer ---------------------------------------------------------------------------------


def _body_code(body: dict[str, Any]) -> int | None:
    code = body.get("code")
    if isinstance(code, bool):
        return None
    if isinstance(code, int):
        return code
    if isinstance(code, str) and code.strip().isdigit():
        return int(code)
    return None


def _body_msg(body: dict[str, Any] | None) -> str:
    msg = (body or {}).get("msg")
    return msg if isinstance(msg, str) else ""


def _parse_success(body: dict[str, Any], status: int) -> BackendResult:
    data = body.get("data")
    if not isinstance(data, dict):
        raise _bad_answer("The provider reported success but sent no 'data' object.", status)
    result_url = data.get("resultImgUrl")
    if not isinstance(result_url, str) or not is_http_url(result_url):
        raise _bad_answer(
            "The provider reported success without an http(s) 'resultImgUrl'.", status
        )
    mask_url = data.get("maskImgUrl")
    if mask_url is not None and not (isinstance(mask_url, str) and is_http_url(mask_url)):
        # The mask is a by-product: a paid result is not thrown away for it.
        logger.warning("Ignoring a 'maskImgUrl' that is not an http(s) URL.")
        mask_url = None
    seed = data.get("seed")
    return BackendResult(
        image=GeneratedImage(url=result_url),
        mask=GeneratedImage(url=mask_url) if mask_url else None,
        seed=seed if isinstance(seed, int) and not isinstance(seed, bool) else None,
        cache_hit=data.get("cacheHit") is True,
    )


def _bad_answer(message: str, status: int) -> ProviderError:
    return ProviderResponseError(message, status_code=status)
