"""OpenAPI through drf-spectacular when it is installed (the ``openapi`` extra).

Without it the decorators below do nothing and ``api/schema/`` is not routed (the
schema view is in ``tryon.api.urls``, beside the routes it documents). Views carry
:class:`TryOnAutoSchema` themselves, so the host needs neither ``drf_spectacular`` in
INSTALLED_APPS nor DRF's ``DEFAULT_SCHEMA_CLASS``.

The schema tells the truth about what the views answer: every error response with
its JSON body (:func:`error_responses`), ``Retry-After`` where it is sent, endpoints
anonymous callers may use marked so (an empty security requirement), and which fields
a new try-on needs (:func:`require_create_fields`, a hook on the generated schema).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.util import find_spec
from typing import Any

from ..conf import tryon_settings
from .permissions import ShopperAllowed

HAS_SPECTACULAR = find_spec("drf_spectacular") is not None

_REF = "#/components/schemas/"

# Error bodies, added to the schema's components by the schema view.
ERROR_COMPONENTS: dict[str, dict[str, Any]] = {
    "Error": {
        "type": "object",
        "description": "A refusal that concerns the whole request.",
        "properties": {
            "detail": {"type": "string", "description": "A message a person can read."},
            "code": {"type": "string", "description": "What kind of refusal (some errors)."},
        },
        "required": ["detail"],
    },
    "FieldErrors": {
        "type": "object",
        "description": (
            "Messages a person can read, by request field (``non_field_errors`` for the "
            "request as a whole)."
        ),
        "additionalProperties": {
            "oneOf": [
                {"type": "array", "items": {"type": "string"}},
                {"type": "object", "description": "Errors of a list's items, by index."},
            ]
        },
        "minProperties": 1,
    },
}
_ERROR = {"$ref": _REF + "Error"}
_BAD_REQUEST_SCHEMA = {"oneOf": [{"$ref": _REF + "FieldErrors"}, _ERROR]}
_BAD_REQUEST = "The request is invalid: field errors, or a body that cannot be parsed."
_ERROR_DESCRIPTIONS = {
    403: "Forbidden: the CSRF check failed (cookie-authenticated requests must send the "
    "CSRF token), or anonymous shoppers are not allowed (``ALLOW_ANONYMOUS``).",
    404: "Not found, or not the caller's.",
    413: "The JSON or form body is larger than any valid request.",
    415: "The body's media type is not one the endpoint reads.",
    429: "Too many try-ons from this shopper (``BURST_RATE``, ``DAILY_RATE``).",
    503: "The shop's daily try-on limit is reached (``code``: ``daily_limit``).",
}

if HAS_SPECTACULAR:
    from drf_spectacular.openapi import AutoSchema
    from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_field
    from drf_spectacular.utils import extend_schema as _extend_schema

    class TryOnAutoSchema(AutoSchema):
        """drf-spectacular's inspector, marking what anonymous callers may use."""

        def get_auth(self) -> list[dict[str, Any]]:
            auths: list[dict[str, Any]] = list(super().get_auth())
            if _anonymous_allowed(self.view) and {} not in auths:
                auths.append({})  # an empty requirement: no authentication needed
            return auths

    def extend_schema(**kwargs: Any) -> Callable[[Any], Any]:
        """drf-spectacular's ``extend_schema``, based on our inspector whatever the host's
        ``DEFAULT_SCHEMA_CLASS`` is (it would otherwise subclass DRF's own)."""

        def decorator(method: Any) -> Any:
            method.schema = TryOnAutoSchema
            return _extend_schema(**kwargs)(method)

        return decorator

    def error_responses(*codes: int) -> dict[int, Any]:
        """The documented error answers ``codes``, each a JSON body."""
        responses: dict[int, Any] = {}
        for code in codes:
            if code == 400:
                responses[code] = OpenApiResponse(
                    response=_BAD_REQUEST_SCHEMA, description=_BAD_REQUEST
                )
            else:
                responses[code] = OpenApiResponse(
                    response=_ERROR, description=_ERROR_DESCRIPTIONS[code]
                )
        return responses

    def response_headers(*, location: tuple[int, ...] = ()) -> list[Any]:
        """``Retry-After`` on 429 and 503, ``Location`` on the given codes."""
        headers = [
            OpenApiParameter(
                "Retry-After",
                int,
                OpenApiParameter.HEADER,
                response=[429, 503],
                description="Seconds to wait before asking again.",
            )
        ]
        if location:
            headers.append(
                OpenApiParameter(
                    "Location",
                    str,
                    OpenApiParameter.HEADER,
                    response=list(location),
                    description="The new try-on's URL, to poll.",
                )
            )
        return headers

    def path_id(kind: str) -> list[Any]:
        """The ``id`` path parameter: a UUID (``"uuid"``) or a positive integer (``"int"``)."""
        schema = (
            {"type": "string", "format": "uuid"}
            if kind == "uuid"
            else {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}
        )
        return [OpenApiParameter("id", schema, OpenApiParameter.PATH, required=True)]

else:  # pragma: no cover - exercised only without the extra

    def extend_schema(**kwargs: Any) -> Callable[[Any], Any]:
        return lambda target: target

    def extend_schema_field(  # type: ignore[misc]
        *args: Any, **kwargs: Any
    ) -> Callable[[Any], Any]:
        return lambda target: target

    def error_responses(*codes: int) -> dict[int, Any]:
        return {}

    def response_headers(*, location: tuple[int, ...] = ()) -> list[Any]:
        return []

    def path_id(kind: str) -> list[Any]:
        return []


def _anonymous_allowed(view: Any) -> bool:
    """Whether a caller with no credentials passes ``view``'s permissions."""
    permissions = getattr(view, "permission_classes", [])
    if not permissions:
        return True
    # CsrfProtected needs a token, not credentials: it does not make a caller sign in.
    return bool(tryon_settings.ALLOW_ANONYMOUS) and ShopperAllowed in permissions


def view_schema() -> Any:
    """The schema inspector for our views: ours (drf-spectacular's), else DRF's default."""
    if HAS_SPECTACULAR:
        return TryOnAutoSchema()
    from rest_framework.schemas import DefaultSchema

    return DefaultSchema()


# -- what a new try-on needs -------------------------------------------------------------

_PROMPT_ONLY = ("seed", "randomize_seed", "guidance_scale", "num_inference_steps")
_CREATE = "TryOnCreateRequest"
_CREATE_FORM = "TryOnCreateFormRequest"


def _create_requirements(properties: dict[str, Any], *, form: bool) -> list[dict[str, Any]]:
    """JSON-schema terms for a new try-on's body: which fields go together.

    Exactly one of: a garment (``garment``, or ``garments`` when offered) with a blank
    prompt and none of the prompt's parameters, or a prompt. And ``model_photo``, or (in
    a form: JSON carries no file) ``model_image`` with ``consent`` true, not both. "None
    of" is "absent or null" in JSON; a form has no null, so there it is "absent".
    """

    def without(*names: str) -> dict[str, Any]:
        names = tuple(name for name in names if name in properties)
        if form:
            return {"not": {"anyOf": [{"required": [name]} for name in names]}} if names else {}
        return {"properties": {name: {"nullable": True, "enum": [None]} for name in names}}

    def given(name: str, schema: dict[str, Any], *others: str) -> dict[str, Any]:
        # A typed schema without ``nullable`` refuses null (OpenAPI 3.0).
        return {"required": [name, *others], "properties": {name: schema}}

    def both(*terms: dict[str, Any]) -> dict[str, Any]:
        return {"allOf": [term for term in terms if term]}

    garment_modes = [
        both(
            given(name, {"type": "integer" if name == "garment" else "array"}),
            {"properties": {"prompt": {"type": "string", "pattern": r"^\s*$"}}},
            without(*_PROMPT_ONLY),
        )
        for name in ("garment", "garments")
        if name in properties
    ]
    prompt_mode = both(
        given("prompt", {"type": "string", "pattern": r"\S"}), without("garment", "garments")
    )
    preset = both(
        given("model_photo", {"type": "string", "format": "uuid"}), without("model_image")
    )
    if not form:
        # JSON cannot carry a file: a JSON request names a preset (or its own upload).
        return [{"oneOf": [*garment_modes, prompt_mode]}, preset]
    upload = both(
        {"required": ["model_image", "consent"]},
        {"properties": {"consent": {"type": "boolean", "enum": [True]}}},
        without("model_photo"),
    )
    return [{"oneOf": [*garment_modes, prompt_mode]}, {"oneOf": [preset, upload]}]


def _without_null(properties: dict[str, Any]) -> dict[str, Any]:
    return {name: _form_field(schema) for name, schema in properties.items()}


def _form_field(schema: dict[str, Any]) -> dict[str, Any]:
    """A field as a form sends it: never null; a boolean also as 1 or 0 (DRF reads both)."""
    field = {key: value for key, value in schema.items() if key != "nullable"}
    if field.get("type") == "boolean":
        rest = {key: value for key, value in field.items() if key != "type"}
        return {**rest, "oneOf": [{"type": "boolean"}, {"type": "integer", "enum": [0, 1]}]}
    return field


def require_create_fields(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: the new try-on's body states which fields are required.

    A multipart form gets a component of its own, ``TryOnCreateFormRequest``: the same
    fields, none of them nullable (a form sends text; an absent field is its "null").
    """
    schemas = result.get("components", {}).get("schemas", {})
    component = schemas.get(_CREATE)
    if component is None:
        return result
    properties = component.get("properties", {})
    if "prompt" in properties:
        properties["prompt"]["pattern"] = "^[^\\u0000]*$"  # DRF refuses NUL characters
    component["description"] = (
        "A garment (or, where allowed, a prompt) and a model: a preset (``model_photo``) "
        "or the shopper's own photo (``model_image``, with ``consent``)."
    )
    form = {**component, "properties": _without_null(properties)}
    component["allOf"] = _create_requirements(properties, form=False)
    form["allOf"] = _create_requirements(properties, form=True)
    schemas[_CREATE_FORM] = form
    create = {"$ref": _REF + _CREATE}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            body = operation.get("requestBody", {})
            content = body.get("content", {})
            if not any(media.get("schema") == create for media in content.values()):
                continue
            body["required"] = True  # an empty body is no try-on
            for media_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
                if content.get(media_type, {}).get("schema") == create:
                    content[media_type]["schema"] = {"$ref": _REF + _CREATE_FORM}
    return result
