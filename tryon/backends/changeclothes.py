"""The Change Clothes AI backend: a thin adapter from ``BaseBackend`` to the HTTP client."""

from __future__ import annotations

from types import TracebackType

from ..client import ChangeClothesClient, ProviderResult
from .base import BackendResult, BaseBackend, GeneratedImage, ImageInput


class ChangeClothesBackend(BaseBackend):
    """Generates try-ons with the provider; results come back as URLs to download.

    A failed call raises a ``tryon.exceptions.ProviderError`` whose ``attempts`` says how
    many paid requests were sent (0 when our own validation refused the input).
    """

    is_paid = True

    def __init__(self, client: ChangeClothesClient | None = None) -> None:
        self._client = client

    @property
    def client(self) -> ChangeClothesClient:
        # Built on first use, not at construction: settings are read when a call is made.
        if self._client is None:
            self._client = ChangeClothesClient.from_settings()
        return self._client

    def change_clothes(
        self,
        *,
        model_image: ImageInput,
        garment_image: ImageInput,
        category: str,
        description: str = "",
    ) -> BackendResult:
        result = self.client.change_clothes(
            model_image=model_image,
            garment_image=garment_image,
            category=category,
            description=description,
        )
        return _backend_result(result)

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
        result = self.client.change_clothes_by_prompt(
            model_image=model_image,
            prompt=prompt,
            seed=seed,
            randomize_seed=randomize_seed,
            guidance_scale=guidance_scale,
            num_inference_steps=num_inference_steps,
        )
        return _backend_result(result)

    def download(self, url: str) -> bytes:
        return self.client.download(url)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def __enter__(self) -> ChangeClothesBackend:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _backend_result(result: ProviderResult) -> BackendResult:
    return BackendResult(
        image=GeneratedImage(url=result.result_url),
        mask=GeneratedImage(url=result.mask_url) if result.mask_url else None,
        seed=result.seed,
        cache_hit=result.cache_hit,
        provider_calls=result.attempts,
    )
