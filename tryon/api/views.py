"""The REST endpoints. Creation goes through ``tryon.services.request_tryon``."""

from __future__ import annotations

from typing import Any, NoReturn

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..analytics.events import record_tryon_deleted, record_tryon_requested
from ..models import Garment, TryOn
from ..previews import garment_previews
from ..privacy import delete_photos, delete_tryon
from .create import DailyCapReached, create_tryon
from .errors import check_body_size, exception_handler
from .fields import parse_id, parse_uuid
from .hints import with_poll_hint
from .ownership import ensure_session, usable_model_photos, visible_tryons
from .parsers import PARSER_CLASSES
from .permissions import CsrfProtected, ShopperAllowed
from .schema import error_responses, extend_schema, path_id, response_headers, view_schema
from .serializers import (
    ModelPhotoSerializer,
    PreviewSerializer,
    TryOnCreateSerializer,
    TryOnSerializer,
)
from .throttling import ShopperBurstThrottle, ShopperDailyThrottle


class TryOnUnavailable(exceptions.APIException):
    """503: the store-wide daily cap is reached; ``Retry-After`` says when it resets."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "daily_limit"

    def __init__(self, message: str, wait: int) -> None:
        super().__init__({"detail": message, "code": self.default_code})
        self.wait = wait  # DRF's exception handler turns this into Retry-After


class TryOnAPIView(APIView):
    """What every endpoint shares, whatever the host's ``REST_FRAMEWORK`` settings say:
    JSON in and out, and every refusal answered in JSON."""

    schema = view_schema()
    parser_classes = PARSER_CLASSES
    renderer_classes = [JSONRenderer]

    def get_exception_handler(self) -> Any:
        return exception_handler

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Before authentication and the CSRF check, which may read the body.
        check_body_size(request)
        super().initial(request, *args, **kwargs)


class TryOnCreateView(TryOnAPIView):
    """``POST api/tryons/``: 202 queued, or 201 answered at once from an identical result."""

    permission_classes = [ShopperAllowed, CsrfProtected]
    throttle_classes = [ShopperBurstThrottle, ShopperDailyThrottle]

    def throttled(self, request: Request, wait: float | None) -> NoReturn:
        raise exceptions.Throttled(
            wait=wait, detail=str(_("Too many try-ons. Please wait a moment and try again."))
        )

    @extend_schema(
        request={
            "multipart/form-data": TryOnCreateSerializer,
            "application/json": TryOnCreateSerializer,
        },
        responses={
            201: TryOnSerializer,
            202: TryOnSerializer,
            **error_responses(400, 403, 413, 415, 429, 503),
        },
        parameters=response_headers(location=(201, 202)),
    )
    def post(self, request: Request) -> Response:
        serializer = TryOnCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        try:
            tryon, answered_now = create_tryon(request, serializer.validated_data)
            record_tryon_requested(request, tryon, answered_now)
        except DailyCapReached as exc:
            raise TryOnUnavailable(str(exc.user_message), exc.retry_after) from exc
        tryon.refresh_from_db()  # an inline task backend may have finished it already
        data = TryOnSerializer(tryon, context={"request": request}).data
        if serializer.validated_data.get("photo_warnings"):
            data["photo_warnings"] = serializer.validated_data["photo_warnings"]
        location = request.build_absolute_uri(
            reverse("tryon:tryon-detail", kwargs={"pk": tryon.pk})
        )
        code = status.HTTP_201_CREATED if answered_now else status.HTTP_202_ACCEPTED
        response = Response(data, status=code, headers={"Location": location})
        return with_poll_hint(response, tryon)


class TryOnDetailView(TryOnAPIView):
    """``GET`` (poll) and ``DELETE`` one try-on; 404 unless it is the caller's (or staff)."""

    permission_classes = [ShopperAllowed, CsrfProtected]

    def get_object(self, request: Request, pk: str) -> TryOn:
        key = parse_uuid(pk)
        if key is None:
            raise exceptions.NotFound()
        return get_object_or_404(visible_tryons(request), pk=key)

    @extend_schema(
        responses={200: TryOnSerializer, **error_responses(403, 404)}, parameters=path_id("uuid")
    )
    def get(self, request: Request, pk: str) -> Response:
        tryon = self.get_object(request, pk)
        response = Response(TryOnSerializer(tryon, context={"request": request}).data)
        return with_poll_hint(response, tryon)

    @extend_schema(responses={204: None, **error_responses(403, 404)}, parameters=path_id("uuid"))
    def delete(self, request: Request, pk: str) -> Response:
        tryon = self.get_object(request, pk)
        record_tryon_deleted(request, tryon)
        delete_tryon(tryon)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ModelPhotoListView(TryOnAPIView):
    """``GET api/model-photos/``: the active preset models, then the shopper's own photos
    still within their retention time (one upload serves the whole visit).

    Also starts an anonymous shopper's session, as the widget's page does: a front end
    of its own calls this before its first upload (see ``ownership.ensure_session``).
    """

    permission_classes: list[Any] = []

    @extend_schema(responses={200: ModelPhotoSerializer(many=True)})
    def get(self, request: Request) -> Response:
        ensure_session(request)
        photos = usable_model_photos(request).order_by("-is_preset", "name", "-created_at")
        return Response(ModelPhotoSerializer(photos, many=True, context={"request": request}).data)


class OwnModelPhotoView(TryOnAPIView):
    """``DELETE api/model-photos/<id>/``: the shopper removes their own photo, with every
    try-on and file made from it. Presets and other shoppers' photos answer 404."""

    permission_classes = [ShopperAllowed, CsrfProtected]

    @extend_schema(responses={204: None, **error_responses(403, 404)}, parameters=path_id("uuid"))
    def delete(self, request: Request, pk: str) -> Response:
        key = parse_uuid(pk)
        photo = (
            usable_model_photos(request).filter(pk=key, is_preset=False).first() if key else None
        )
        if photo is None:
            raise NotFound()
        delete_photos([photo])
        return Response(status=status.HTTP_204_NO_CONTENT)


class GarmentPreviewsView(TryOnAPIView):
    """``GET api/garments/<id>/previews/``: the garment on each preset model."""

    permission_classes: list[Any] = []

    @extend_schema(
        responses={200: PreviewSerializer(many=True), **error_responses(404)},
        parameters=path_id("int"),
    )
    def get(self, request: Request, pk: str) -> Response:
        key = parse_id(pk)
        if key is None:
            raise exceptions.NotFound()
        garment = get_object_or_404(Garment.objects.active(), pk=key)
        previews = garment_previews(garment)
        return Response(PreviewSerializer(previews, many=True, context={"request": request}).data)
