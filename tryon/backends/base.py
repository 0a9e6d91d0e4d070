"""The interface every backend implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

# A picture handed to a backend: an http(s) URL, a ``data:`` URI, or the bytes of a file.
ImageInput = str | bytes


@dataclass(frozen=True)
class GeneratedImage:
    """A generated picture: either still at ``url`` (to download) or already ``content``."""

    url: str | None = None
    content: bytes | None = None

    def __post_init__(self) -> None:
        if (self.url is None) == (self.content is None):
            raise ValueError("GeneratedImage needs exactly one of url and content")


@dataclass(frozen=True)
class BackendResult:
    image: GeneratedImage
    mask: GeneratedImage | None = None
    seed: int | None = None
    cache_hit: bool = False
    # True for the offline compositor: the picture is a preview, not an AI result.
    is_preview: bool = False
    # How many paid requests the backend sent to produce this (retries included).
    provider_calls: int = 0


class PaidAttemptListener(Protocol):
    """What a paid backend reports around each request it sends (``tryon.paid``)."""

    def before_paid_attempt(self) -> None:
        """Right before a paid request goes out (retries too); raising keeps it unsent."""

    def paid_attempt_settled(self, result: BackendResult | None) -> None:
        """The attempt is over with nothing out: answered (``result`` on success, None
        for an error), or provably never sent."""


class BaseBackend:
    """Subclass and implement both methods; raise ``tryon.exceptions`` errors on failure."""

    #: Whether a call costs the shop credits (caps and limits apply only then).
    is_paid = True
    #: Set by the job engine for one job; a paid backend calls it around each request.
    paid_attempts: PaidAttemptListener | None = None

    def change_clothes(
        self,
        *,
        model_image: ImageInput,
        garment_image: ImageInput,
        category: str,
        description: str = "",
    ) -> BackendResult:
        raise NotImplementedError

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
        raise NotImplementedError

    def close(self) -> None:
        """Release connections; the job engine calls it when a job is done."""

    def download(self, url: str) -> bytes:
        """Fetch a result URL this backend returned."""
        raise NotImplementedError(f"{type(self).__name__} returns no URLs to download")
