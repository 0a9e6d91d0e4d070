"""A strict Content-Security-Policy for the example shop in the browser tests (issue 13).

What a careful shop sends: no inline script or style anywhere, pictures from the shop itself
(and the ``data:``/``blob:`` URLs a file preview may use). Importable without Django settings,
so the tests can compare the header with it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

STRICT_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:"


def strict_csp_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Adds the policy to every answer (pages, API and media files alike)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response["Content-Security-Policy"] = STRICT_CSP
        return response

    return middleware
