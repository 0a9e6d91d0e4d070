"""What the provider's document fixes, as the fake reads it: endpoint paths, each endpoint's
fields and their limits, the error codes with their ``msg``, and the HTTP status the fake
uses for each code in the "status" error style.

The limits are the fake's own copy, on purpose: the fake checks the client, so it must not
share the client's reading of the document (``tryon.parameters``).
"""

from __future__ import annotations

CHANGE_CLOTHES_PATH = "/api/openapi/change-clothes-ai"
CHANGE_CLOTHES_BY_PROMPT_PATH = "/api/openapi/change-clothes-by-prompt"
ENDPOINTS = {
    CHANGE_CLOTHES_PATH: "change-clothes-ai",
    CHANGE_CLOTHES_BY_PROMPT_PATH: "change-clothes-by-prompt",
}

# The document's ``msg`` for each code.
ERROR_MESSAGES: dict[int, str] = {
    200: "OK",
    500: "SERVER_ERROR",
    10001: "NOT_LOGIN",
    10002: "USER_NOT_EXIST",
    10003: "INSUFFICIENT_CREDITS",
    10004: "INVALID_PARAM",
    10005: "HARMFUL_CONTENT",
    10006: "INSUFFICIENT_TRAIL_COUNT",
    20001: "TRY_ON_EXCEPTION",
    30001: "INVALID_API_KEY",
    30002: "INVALID_SIGNATURE",
}

_STATUS_FOR_CODE = {
    10001: 401,
    10002: 401,
    30001: 401,
    30002: 401,
    10003: 402,
    10006: 402,
    10004: 400,
    10005: 422,
    20001: 500,
}

FIELDS = {
    CHANGE_CLOTHES_PATH: {"modelImg", "garmentImg", "category", "garmentDesc"},
    CHANGE_CLOTHES_BY_PROMPT_PATH: {
        "modelImg",
        "prompt",
        "seed",
        "randomize_seed",
        "guidance_scale",
        "num_inference_steps",
    },
}
IMAGE_FIELDS = {"modelImg", "garmentImg"}
CATEGORIES = ("upper_body", "lower_body", "dresses")
SEED_MAX = 2_147_483_647
GUIDANCE_SCALE_RANGE = (1, 100)
INFERENCE_STEPS_RANGE = (1, 50)


def status_for_code(code: int) -> int:
    """The HTTP status the fake uses for ``code`` in the "status" error style."""
    if 100 <= code <= 599:
        return code
    return _STATUS_FOR_CODE.get(code, 400)
