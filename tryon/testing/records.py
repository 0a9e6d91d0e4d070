"""What the fake records of each request it receives, and of what it answered."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import overload

from .wire import ENDPOINTS


class RecordedHeaders(Mapping[str, str]):
    """Request headers, looked up case-insensitively (names are kept lower-cased)."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._headers = {name.lower(): value for name, value in items}

    def __getitem__(self, name: str) -> str:
        return self._headers[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._headers)

    def __len__(self) -> int:
        return len(self._headers)

    def __repr__(self) -> str:
        return f"RecordedHeaders({self._headers!r})"


@dataclass(frozen=True)
class RecordedFile:
    """A file part of a multipart request."""

    filename: str
    content_type: str | None
    content: bytes


@dataclass
class RecordedRequest:
    """One request the fake received, and what it answered."""

    method: str
    path: str
    headers: RecordedHeaders
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, RecordedFile] = field(default_factory=dict)
    received_at: float = 0.0  # time.time()
    body: bytes = b""
    latency: float = 0.0  # seconds the fake waited before answering
    status: int | None = None  # HTTP status answered; None when the connection was dropped
    code: int | None = None  # the body's code, when the answer was the provider's JSON
    error: str = ""  # why a request was answered 10004

    @overload
    def header(self, name: str) -> str | None: ...

    @overload
    def header(self, name: str, default: str) -> str: ...

    def header(self, name: str, default: str | None = None) -> str | None:
        """A request header, looked up case-insensitively (as ``headers`` also is)."""
        return self.headers.get(name, default)

    @property
    def endpoint(self) -> str | None:
        """``"change-clothes-ai"`` or ``"change-clothes-by-prompt"``; None for other paths."""
        return ENDPOINTS.get(self.path)
