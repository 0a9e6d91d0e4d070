"""Tell every page which try-on backend is configured, so previews are labelled honestly."""

from __future__ import annotations

from django.http import HttpRequest

from tryon.conf import tryon_settings


def tryon_backend(request: HttpRequest) -> dict[str, object]:
    backend = str(tryon_settings.BACKEND)
    is_local = backend.endswith(".LocalPreviewBackend")
    label = "offline preview (Pillow composite, not AI)" if is_local else "Change Clothes AI"
    return {"tryon_backend_label": label, "tryon_backend_is_local": is_local}
