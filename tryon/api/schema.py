"""OpenAPI through drf-spectacular when it is installed (the ``openapi`` extra).

Without it the decorators below do nothing and ``api/schema/`` is not routed (the
schema view is in ``tryon.api.urls``, beside the routes it documents). Views carry
drf-spectacular's ``AutoSchema`` themselves, so the host needs neither
``drf_spectacular`` in INSTALLED_APPS nor DRF's ``DEFAULT_SCHEMA_CLASS``.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.util import find_spec
from typing import Any

HAS_SPECTACULAR = find_spec("drf_spectacular") is not None

if HAS_SPECTACULAR:
    from drf_spectacular.openapi import AutoSchema
    from drf_spectacular.utils import extend_schema as _extend_schema
    from drf_spectacular.utils import extend_schema_field

    def extend_schema(**kwargs: Any) -> Callable[[Any], Any]:
        """drf-spectacular's ``extend_schema``, based on its AutoSchema whatever the host's
        ``DEFAULT_SCHEMA_CLASS`` is (it would otherwise subclass DRF's own inspector)."""

        def decorator(method: Any) -> Any:
            method.schema = AutoSchema
            return _extend_schema(**kwargs)(method)

        return decorator

else:  # pragma: no cover - exercised only without the extra

    def extend_schema(**kwargs: Any) -> Callable[[Any], Any]:
        return lambda target: target

    def extend_schema_field(  # type: ignore[misc]
        *args: Any, **kwargs: Any
    ) -> Callable[[Any], Any]:
        return lambda target: target


def view_schema() -> Any:
    """The schema inspector for our views: drf-spectacular's, else DRF's default."""
    if HAS_SPECTACULAR:
        return AutoSchema()
    from rest_framework.schemas import DefaultSchema

    return DefaultSchema()
