"""Share links: the owner turns one on or off (API), anyone with the link sees the result.

``POST api/tryons/<id>/share/`` answers ``{"share_url": ...}``; ``DELETE`` stops sharing.
``share/<token>/`` is a plain page with the result and its "AI-generated" label;
``share/<token>/image/`` is the picture itself. Every refusal is a 404.
"""

from __future__ import annotations

import mimetypes
from typing import Any

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_safe
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from ..models import TryOn
from ..sharing import NotShareable, share, share_path, shared_tryon, unshare
from .fields import parse_uuid
from .ownership import visible_tryons
from .permissions import CsrfProtected, ShopperAllowed
from .schema import error_responses, extend_schema, path_id
from .views import TryOnAPIView


class ShareSerializer(serializers.Serializer):
    share_url = serializers.URLField(help_text="The page that shows this result only.")


_PRIVATE_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "Cache-Control": "private, max-age=300",  # a stopped share ends within minutes
}


class TryOnShareView(TryOnAPIView):
    """Turn the share link of one of the caller's try-ons on (POST) or off (DELETE)."""

    permission_classes = [ShopperAllowed, CsrfProtected]

    def _tryon(self, request: Request, pk: str) -> TryOn:
        key = parse_uuid(pk)
        if key is None:
            raise NotFound()
        return get_object_or_404(visible_tryons(request), pk=key)

    @extend_schema(
        request=None,
        responses={201: ShareSerializer, **error_responses(400, 403, 404)},
        parameters=path_id("uuid"),
    )
    def post(self, request: Request, pk: Any) -> Response:
        tryon = self._tryon(request, pk)
        try:
            share(tryon)
        except NotShareable as exc:
            raise ValidationError({"detail": [str(exc)]}) from exc
        url = request.build_absolute_uri(share_path(tryon))
        return Response({"share_url": url}, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None, **error_responses(403, 404)}, parameters=path_id("uuid"))
    def delete(self, request: Request, pk: Any) -> Response:
        unshare(self._tryon(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


@require_safe
def share_page(request: HttpRequest, token: str) -> HttpResponse:
    tryon = shared_tryon(token)
    if tryon is None:
        raise Http404("This link has expired.")
    image_url = reverse("tryon:share-image", kwargs={"token": token})
    context = {"tryon": tryon, "image_url": image_url, "is_preview": tryon.is_preview}
    response = render(request, "tryon/share.html", context)
    for header, value in _PRIVATE_HEADERS.items():
        response[header] = value
    return response


@require_safe
def share_image(request: HttpRequest, token: str) -> FileResponse:
    tryon = shared_tryon(token)
    if tryon is None:
        raise Http404("This link has expired.")
    try:
        handle = tryon.result_image.open("rb")
    except (OSError, ValueError) as exc:
        raise Http404("This link has expired.") from exc
    name = tryon.result_image.name or ""
    response = FileResponse(handle, content_type=mimetypes.guess_type(name)[0] or "image/jpeg")
    for header, value in _PRIVATE_HEADERS.items():
        response[header] = value
    response["X-Content-Type-Options"] = "nosniff"
    return response
