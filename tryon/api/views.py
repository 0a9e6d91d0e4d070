"""The REST endpoints. Creation goes through ``tryon.services.request_tryon``."""

from __future__ import annotations

from typing import Any, NoReturn

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..models import Garment, TryOn
from ..previews import garment_previews
from ..privacy import delete_photos, delete_tryon
from .create import DailyCapReached, create_tryon
from .hints import with_poll_hint
from .ownership import usable_model_photos, visible_tryons
from .permissions import CsrfProtected, ShopperAllowed
from .schema import extend_schema, view_schema
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


class _TryOnAPIView(APIView):
    schema = view_schema()


class TryOnCreateView(_TryOnAPIView):
    """``POST api/tryons/``: 202 queued, or 201 answered at once from an identical result."""

    permission_classes = [ShopperAllowed, CsrfProtected]
    throttle_classes = [ShopperBurstThrottle, ShopperDailyThrottle]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def throttled(self, request: Request, wait: float | None) -> NoReturn:
        raise exceptions.Throttled(
            wait=wait, detail=str(_("Too many try-ons. Please wait a moment and try again."))
        )

    @extend_schema(
        request={
            "multipart/form-data": TryOnCreateSerializer,
            "application/json": TryOnCreateSerializer,
        },
        responses={201: TryOnSerializer, 202: TryOnSerializer},
    )
    def post(self, request: Request) -> Response:
        serializer = TryOnCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        try:
            tryon, answered_now = create_tryon(request, serializer.validated_data)
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


class TryOnDetailView(_TryOnAPIView):
    """``GET`` (poll) and ``DELETE`` one try-on; 404 unless it is the caller's (or staff)."""

    permission_classes = [ShopperAllowed, CsrfProtected]

    def get_object(self, request: Request, pk: Any) -> TryOn:
        return get_object_or_404(visible_tryons(request), pk=pk)

    @extend_schema(responses={200: TryOnSerializer})
    def get(self, request: Request, pk: Any) -> Response:
        tryon = self.get_object(request, pk)
        response = Response(TryOnSerializer(tryon, context={"request": request}).data)
        return with_poll_hint(response, tryon)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: Any) -> Response:
        delete_tryon(self.get_object(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ModelPhotoListView(_TryOnAPIView):
    """``GET api/model-photos/``: the active preset models, then the shopper's own photos
    still within their retention time (one upload serves the whole visit)."""

    permission_classes: list[Any] = []

    @extend_schema(responses={200: ModelPhotoSerializer(many=True)})
    def get(self, request: Request) -> Response:
        photos = usable_model_photos(request).order_by("-is_preset", "name", "-created_at")
        return Response(ModelPhotoSerializer(photos, many=True, context={"request": request}).data)


class OwnModelPhotoView(_TryOnAPIView):
    """``DELETE api/model-photos/<id>/``: the shopper removes their own photo, with every
    try-on and file made from it. Presets and other shoppers' photos answer 404."""

    permission_classes = [ShopperAllowed, CsrfProtected]

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: Any) -> Response:
        photo = usable_model_photos(request).filter(pk=pk, is_preset=False).first()
        if photo is None:
            raise NotFound()
        delete_photos([photo])
        return Response(status=status.HTTP_204_NO_CONTENT)


class GarmentPreviewsView(_TryOnAPIView):
    """``GET api/garments/<id>/previews/``: the garment on each preset model."""

    permission_classes: list[Any] = []

    @extend_schema(responses={200: PreviewSerializer(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        garment = get_object_or_404(Garment.objects.active(), pk=pk)
        previews = garment_previews(garment)
        return Response(PreviewSerializer(previews, many=True, context={"request": request}).data)
