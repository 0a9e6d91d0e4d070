"""Storages that misbehave on purpose."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files.storage import FileSystemStorage


class HalfWritingStorage(FileSystemStorage):
    """Writes the first bytes of a result, then fails like a full disk."""

    def exists(self, name: str) -> bool:
        # Never "already there": every result is written, so every result write fails.
        return False if "/results/" in name else super().exists(name)

    def _save(self, name: str, content: Any) -> str:
        if "/results/" not in name:
            return super()._save(name, content)
        path = Path(self.path(name))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.read()[:10])
        raise OSError(28, "No space left on device")
