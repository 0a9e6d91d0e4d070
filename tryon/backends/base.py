"""The interface every backend implements, and the options a backend is built with.

A backend is built with its entry of ``TRYON["BACKEND_OPTIONS"]`` (keyed by its dotted
path). It declares the options it knows in ``known_options``; a name it does not know is
refused at once, naming the option and the backend, so a typo never goes unnoticed. An
option that is not given falls back to a top-level ``TRYON`` key where the backend says
so, and is read only when the backend first needs it (settings stay lazy).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, ClassVar, Protocol, Self

from ..conf import tryon_settings
from ..exceptions import ProviderError, TryOnConfigurationError

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


@dataclass(frozen=True)
class Option:
    """One option a backend knows.

    ``setting``: the top-level ``TRYON`` key read when the option is not given (or given
    as None); ``default``: the value when neither is set; ``secret``: never shown, and
    scrubbed from every message the backend produces.
    """

    setting: str | None = None
    default: Any = None
    secret: bool = False


def dotted_path(cls: type) -> str:
    """The path ``TRYON["BACKEND"]`` and ``TRYON["BACKEND_OPTIONS"]`` name ``cls`` by."""
    return f"{cls.__module__}.{cls.__qualname__}"


def unknown_options(backend_class: type[BaseBackend], options: Mapping[Any, Any]) -> list[str]:
    """The names in ``options`` that ``backend_class`` does not know, sorted."""
    return sorted(str(name) for name in options if name not in backend_class.known_options)


def options_location(backend_class: type[BaseBackend], name: str | None = None) -> str:
    """``TRYON['BACKEND_OPTIONS']['<path>']`` (and ``['NAME']``), for messages."""
    where = f"TRYON['BACKEND_OPTIONS'][{dotted_path(backend_class)!r}]"
    return where if name is None else f"{where}[{name!r}]"


def resolve_option(backend_class: type[BaseBackend], options: Mapping[str, Any], name: str) -> Any:
    """The value of option ``name``: given, else its top-level setting, else its default."""
    spec = backend_class.known_options[name]
    value = options.get(name)
    if value is None and spec.setting is not None:
        value = getattr(tryon_settings, spec.setting)
    return spec.default if value is None else value


def option_source(backend_class: type[BaseBackend], options: Mapping[str, Any], name: str) -> str:
    """Where option ``name``'s value comes from: its entry in the options, or its setting."""
    setting = backend_class.known_options[name].setting
    if options.get(name) is not None or setting is None:
        return options_location(backend_class, name)
    return f"TRYON[{setting!r}]"


class PaidAttemptListener(Protocol):
    """What a paid backend reports around each request it sends (``tryon.paid``)."""

    def before_paid_attempt(self) -> None:
        """Right before a paid request goes out (retries too); raising keeps it unsent."""

    def paid_attempt_settled(self, result: BackendResult | None) -> None:
        """The attempt is over with nothing out: answered (``result`` on success, None
        for an error), or provably never sent."""


class BaseBackend:
    """Subclass and implement both methods; raise ``tryon.exceptions`` errors on failure.

    A backend that calls a provider over HTTP subclasses ``tryon.backends.http.HttpBackend``
    instead, which handles the client, retries, downloads and secrecy.
    """

    #: Whether a call costs the shop credits (caps and limits apply only then).
    is_paid = True
    #: Set by the job engine for one job; a paid backend calls it around each request
    #: (``HttpBackend.post`` does), so that each is recorded before it is sent.
    paid_attempts: PaidAttemptListener | None = None
    #: The options this backend accepts in ``TRYON["BACKEND_OPTIONS"]`` (upper-case names).
    known_options: ClassVar[Mapping[str, Option]] = {}
    #: The provider's documented codes: which error each one raises, and what it means in
    #: words a shop owner reads in the admin.
    error_classes: ClassVar[Mapping[int, type[ProviderError]]] = {}
    error_descriptions: ClassVar[Mapping[int, str]] = {}

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        given = dict(options or {})
        unknown = unknown_options(type(self), given)
        if unknown:
            known = ", ".join(sorted(self.known_options)) or "none"
            raise TryOnConfigurationError(
                f"{options_location(type(self))} has unknown option(s) {', '.join(unknown)}: "
                f"{dotted_path(type(self))} knows {known}."
            )
        self._options = given

    def option(self, name: str) -> Any:
        """The value of one of this backend's options (read from settings when needed)."""
        return resolve_option(type(self), self._options, name)

    def option_location(self, name: str) -> str:
        """Where option ``name`` comes from, for a message that says what to fix."""
        return option_source(type(self), self._options, name)

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

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
