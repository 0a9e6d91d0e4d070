"""Reading command-line inputs: images (a local path, an http(s) URL or a data URI) and
preset models (an id or a name)."""

from __future__ import annotations

import base64
import uuid
from pathlib import Path

from django.core.management.base import CommandError
from django.db.models import QuerySet

from ...exceptions import InvalidImageError
from ...images import normalize_image
from ...models import ModelPhoto


def image_argument(value: str, option: str, *, inline: str = "file") -> str | bytes:
    """What to hand the backend for ``--model``/``--garment``.

    URLs and data URIs go to the provider as they are (it accepts both); a local file
    is normalised first (orientation, metadata stripped, size bounded) and sent as a
    file part, or as a data URI with ``--inline data-uri``.
    """
    if value.startswith(("http://", "https://", "data:")):
        return value
    path = Path(value)
    if not path.is_file():
        raise CommandError(f"{option}: no such file: {value}")
    try:
        normalised = normalize_image(path.read_bytes())
    except InvalidImageError as exc:
        raise CommandError(f"{option}: {value} cannot be used: {exc}") from exc
    if inline == "data-uri":
        encoded = base64.b64encode(normalised.content).decode("ascii")
        return f"data:image/jpeg;base64,{encoded}"
    return normalised.content


def preset_models_named(references: list[str], presets: QuerySet[ModelPhoto]) -> list[ModelPhoto]:
    """The preset models ``--model-photo`` names: each by its id (a UUID) or its name.

    A name is matched exactly, ignoring case; one that several presets share is refused
    with their ids, so the command never guesses.
    """
    found: dict[object, ModelPhoto] = {}
    problems = []
    for reference in references:
        value = reference.strip()
        try:
            matches = list(presets.filter(pk=uuid.UUID(value)))
            what = f"id {value}"
        except ValueError:
            matches = list(presets.filter(name__iexact=value))
            what = f"name {value!r}"
        if len(matches) > 1:
            candidates = ", ".join(f"{photo.name} (id {photo.pk})" for photo in matches)
            problems.append(f"{len(matches)} active preset models have the {what}: {candidates}")
        elif not matches:
            problems.append(f"No active preset model with {what}")
        else:
            found.setdefault(matches[0].pk, matches[0])
    if problems:
        raise CommandError(
            "; ".join(problems) + ". A model photo must be a preset and active; give its "
            "id (shown in the admin's model photo list) to pick one of several."
        )
    return list(found.values())
