"""Serving a shopper's own files: only to their owner (user or session) and staff.

A shopper's upload and its results live in the private storage; their URLs are signed
links to this view that expire after ``PRIVATE_URL_MAX_AGE``. A valid link is not
enough on its own: the request must also be the file's owner or staff, so a link that
leaks (a shared screenshot, a proxy log) shows nothing to anyone else. Every refusal is
a 404, so links reveal nothing either.

The owner is told as the API tells it: the session or signed-in user of a page on the
shop, or, for a front end that sends ``Authorization`` (``<tryon-widget token="…">``
fetches these files with it), the user the API's authentication classes find.
"""

from __future__ import annotations

import mimetypes
from typing import Any

from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_safe
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.views import APIView

from ..conf import tryon_settings
from ..storage import get_storage, name_from_token
from .ownership import is_staff, usable_model_photos, visible_tryons


def may_see_file(request: Any, name: str) -> bool:
    """Whether ``request`` is the owner (or staff) of a row that uses file ``name``."""
    if is_staff(request):
        return True
    uses = Q(result_image=name) | Q(mask_image=name) | Q(model_photo__image=name)
    if visible_tryons(request).filter(uses).exists():
        return True
    return bool(usable_model_photos(request).filter(is_preset=False, image=name).exists())


def as_api_client(request: HttpRequest) -> Any:
    """The request with the user the API would see: DRF's authentication classes run when
    it carries an ``Authorization`` header; None when that header is refused."""
    if "HTTP_AUTHORIZATION" not in request.META:
        return request
    # The API views' own authenticators: the shop's DEFAULT_AUTHENTICATION_CLASSES.
    api_request = Request(request, authenticators=APIView().get_authenticators())
    try:
        api_request.user  # noqa: B018 - reading it authenticates
    except APIException:  # a token that is wrong or expired
        return None
    return api_request


@require_safe
def private_file(request: HttpRequest, token: str) -> FileResponse:
    name = name_from_token(token)
    client = as_api_client(request)
    if name is None or client is None or not may_see_file(client, name):
        raise Http404("No such file.")
    try:
        handle = get_storage().open(name, "rb")
    except (OSError, ValueError) as exc:  # gone from storage (deleted, expired)
        raise Http404("No such file.") from exc
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    # Personal data: never kept by a shared cache, only by this shopper's browser.
    response["Cache-Control"] = f"private, max-age={int(tryon_settings.PRIVATE_URL_MAX_AGE)}"
    response["Vary"] = "Cookie, Authorization"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response
