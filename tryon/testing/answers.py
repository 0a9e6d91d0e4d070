"""What the fake answers an API call: its error bodies, its success bodies, and the queued
behaviours (``Planned``) that tests line up with ``fail_next`` and the other knobs.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any, Literal

from .records import RecordedRequest
from .wire import CHANGE_CLOTHES_PATH, ERROR_MESSAGES, SEED_MAX, status_for_code

Style = Literal["body", "status"]


@dataclass(frozen=True)
class Planned:
    """One answer, or one queued behaviour, for an API call."""

    kind: Literal["answer", "drop", "hang"]
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    code: int | None = None
    seconds: float = 0.0


def error_answer(code: int, style: Style, msg: str | None) -> Planned:
    """The provider's ``{"code", "msg"}`` in the body (HTTP 200) or under an HTTP status."""
    if style not in ("body", "status"):
        raise ValueError(f"style must be 'body' or 'status', not {style!r}")
    status = status_for_code(code) if style == "status" else 200
    text = msg if msg is not None else ERROR_MESSAGES.get(code, "ERROR")
    payload = {"code": code, "msg": text}
    return Planned("answer", status=status, body=json.dumps(payload).encode(), code=code)


def exact_answer(
    body: dict[str, Any] | str | bytes, status: int, content_type: str | None
) -> Planned:
    """Exactly this body: a dict as JSON (its ``code`` recorded), text or bytes as given."""
    if isinstance(body, dict):
        raw, default_type = json.dumps(body).encode(), "application/json"
    else:
        raw = body.encode() if isinstance(body, str) else body
        default_type = "text/plain; charset=utf-8"
    code = body.get("code") if isinstance(body, dict) else None
    return Planned(
        "answer",
        status=status,
        body=raw,
        content_type=content_type or default_type,
        code=code if isinstance(code, int) else None,
    )


def success_answer(
    request: RecordedRequest, result_url: str, mask_url: str, cache_hit: bool
) -> Planned:
    """The documented success body of ``request``'s endpoint."""
    data: dict[str, Any] = {"resultImgUrl": result_url}
    if request.path == CHANGE_CLOTHES_PATH:
        data["maskImgUrl"] = mask_url
        data["cacheHit"] = cache_hit
    else:
        data["seed"] = _answer_seed(request.fields)
    body = {"code": 200, "msg": "OK", "data": data}
    return Planned("answer", status=200, body=json.dumps(body).encode(), code=200)


def _answer_seed(fields: dict[str, str]) -> int:
    # The document: the seed is ignored when randomize_seed is true.
    if fields.get("randomize_seed") != "true" and "seed" in fields:
        return int(fields["seed"])
    return random.randint(0, SEED_MAX)
