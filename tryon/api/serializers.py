"""Request validation and the JSON the API answers.

Everything a shopper sends is checked here, before anything is stored or any provider
call is made: the garment, the model photo or upload (by its content, through
``tryon.images``), consent, and the prompt parameters' documented ranges.
"""

from __future__ import annotations

import math
from typing import Any

from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..backends.codes import user_message_for
from ..conf import tryon_settings
from ..exceptions import InvalidImageError
from ..images import NormalizedImage, normalize_image, probe_image
from ..models import ModelPhoto, TryOn
from ..outfits import OutfitError, ordered_outfit, steps_of
from ..parameters import GUIDANCE_SCALE_RANGE, INFERENCE_STEPS_RANGE, SEED_MAX, SEED_MIN
from ..photocheck import check_photo, photo_validation_error, photo_warnings
from ..sharing import share_path
from .fields import active_garment_field
from .ownership import is_staff, usable_model_photos
from .schema import extend_schema_field

PROMPT_MAX_LENGTH = 1000
PROMPT_PARAMETERS = ("seed", "randomize_seed", "guidance_scale", "num_inference_steps")


def absolute_file_url(request: Any, field_file: Any) -> str | None:
    """The storage's URL of a file, absolute; never the provider's CDN."""
    if not field_file:
        return None
    url = field_file.url
    return request.build_absolute_uri(url) if request is not None else url


def public_error(tryon: TryOn) -> dict[str, Any] | None:
    """``{"code", "message"}`` for a failed try-on: the message a shopper may read.

    The stored ``error_message`` is for staff (it may quote the provider); shoppers get
    the ``user_message`` of the error class of the stored code.
    """
    if tryon.status != TryOn.Status.FAILED:
        return None
    return {"code": tryon.error_code, "message": user_message_for(tryon.error_code)}


class ModelPhotoField(serializers.PrimaryKeyRelatedField):
    """A preset model, or one of the requesting shopper's own live uploads."""

    default_error_messages = {
        "does_not_exist": _("This model photo does not exist."),
        "incorrect_type": _("Incorrect type. Expected a model photo id, received {data_type}."),
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(pk_field=serializers.UUIDField(), **kwargs)

    def get_queryset(self) -> Any:
        return usable_model_photos(self.context["request"])


class TryOnCreateSerializer(serializers.Serializer):
    garment = active_garment_field(required=False, allow_null=True)
    garments = serializers.ListField(
        child=active_garment_field(),
        required=False,
        min_length=2,
        max_length=2,
        help_text="Complete the look: an upper-body and a lower-body garment, instead of garment.",
    )
    model_photo = ModelPhotoField(required=False, allow_null=True)
    model_image = serializers.FileField(
        required=False, allow_null=True, write_only=True, allow_empty_file=False
    )
    consent = serializers.BooleanField(required=False, default=False, write_only=True)
    accept_warnings = serializers.BooleanField(
        required=False,
        default=True,
        write_only=True,
        help_text="False: answer 400 with the photo check's warnings instead of going ahead "
        "(the widget asks first, then sends true).",
    )
    prompt = serializers.CharField(
        required=False, allow_blank=True, max_length=PROMPT_MAX_LENGTH, default=""
    )
    seed = serializers.IntegerField(
        required=False, allow_null=True, min_value=SEED_MIN, max_value=SEED_MAX
    )
    randomize_seed = serializers.BooleanField(required=False, allow_null=True)
    guidance_scale = serializers.FloatField(
        required=False,
        allow_null=True,
        min_value=GUIDANCE_SCALE_RANGE[0],
        max_value=GUIDANCE_SCALE_RANGE[1],
    )
    num_inference_steps = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=INFERENCE_STEPS_RANGE[0],
        max_value=INFERENCE_STEPS_RANGE[1],
    )

    def validate_guidance_scale(self, value: float | None) -> float | None:
        # NaN passes min/max comparisons; it must not reach a paid call.
        if value is not None and not math.isfinite(value):
            raise serializers.ValidationError(_("A valid number is required."))
        return value

    def validate_model_image(self, upload: Any) -> NormalizedImage | None:
        if upload is None:
            return None
        max_bytes = int(tryon_settings.MAX_UPLOAD_BYTES)
        if upload.size is not None and upload.size > max_bytes:
            # Refused before a byte is decoded.
            raise serializers.ValidationError(
                _("The file is larger than %(size)s.") % {"size": filesizeformat(max_bytes)}
            )
        try:
            info = probe_image(upload, max_bytes=max_bytes)
            max_side = int(tryon_settings.MAX_UPLOAD_SIDE)
            if max(info.width, info.height) > max_side:
                raise serializers.ValidationError(
                    _("The image is too large: its sides must be at most %(side)s pixels.")
                    % {"side": max_side}
                )
            return normalize_image(upload, max_bytes=max_bytes)
        except InvalidImageError as exc:
            raise serializers.ValidationError(str(exc)) from exc

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors: dict[str, Any] = {}
        garment = attrs.get("garment")
        prompt = (attrs.get("prompt") or "").strip()
        attrs["prompt"] = prompt
        if attrs.get("garments"):
            if garment is not None or prompt:
                errors["garments"] = [_("Send garments alone, without garment or prompt.")]
            else:
                try:
                    attrs["garments"] = list(ordered_outfit(attrs["garments"]))
                except OutfitError as exc:
                    errors["garments"] = [str(exc)]
            garment = attrs["garments"][0]  # the parameter checks below apply to both
        elif garment is None and not prompt:
            errors["garment"] = [_("Choose a garment to try on.")]
        elif garment is not None and prompt:
            errors["prompt"] = [_("Send either a garment or a prompt, not both.")]
        elif garment is None and not self._prompts_allowed():
            errors["prompt"] = [_("Try-on by text prompt is not available.")]
        if garment is not None:
            for name in PROMPT_PARAMETERS:
                if attrs.get(name) is not None:
                    errors[name] = [_("Only used with a prompt.")]

        has_photo = attrs.get("model_photo") is not None
        has_upload = attrs.get("model_image") is not None
        if has_photo and has_upload:
            errors["model_image"] = [_("Send either model_photo or model_image, not both.")]
        elif not has_photo and not has_upload:
            errors["model_photo"] = [_("Choose a model or upload a photo.")]
        if has_upload and not attrs.get("consent"):
            errors["consent"] = [_("Please agree to your photo being used to create the try-on.")]
        if errors:
            raise serializers.ValidationError(errors)
        if has_upload:
            # Checked last, on a valid request only: never a paid call for a photo that
            # cannot give a good result.
            check = check_photo(attrs["model_image"].content)
            refusal = photo_validation_error(check, accept_warnings=attrs["accept_warnings"])
            if refusal is not None:
                raise refusal
            attrs["photo_warnings"] = photo_warnings(check)
        return attrs

    def _prompts_allowed(self) -> bool:
        request = self.context.get("request")
        return bool(tryon_settings.SHOPPER_PROMPTS) or (request is not None and is_staff(request))


class ModelPhotoSerializer(serializers.ModelSerializer):
    image_url = serializers.SerializerMethodField()
    is_own = serializers.SerializerMethodField()

    class Meta:
        model = ModelPhoto
        fields = ["id", "name", "image_url", "is_own", "expires_at"]

    @extend_schema_field(serializers.BooleanField())
    def get_is_own(self, photo: ModelPhoto) -> bool:
        """The shopper's own upload (reusable until it expires), not a preset model."""
        return not photo.is_preset

    @extend_schema_field(serializers.URLField())
    def get_image_url(self, photo: ModelPhoto) -> str | None:
        return absolute_file_url(self.context.get("request"), photo.image)


class TryOnErrorSerializer(serializers.Serializer):
    code = serializers.IntegerField(allow_null=True, help_text="The provider's error code, if any.")
    message = serializers.CharField(help_text="A message a shopper can be shown.")


class TryOnSerializer(serializers.ModelSerializer):
    """The TryOn resource, as its owner sees it."""

    url = serializers.SerializerMethodField()
    model_image_url = serializers.SerializerMethodField()
    result_url = serializers.SerializerMethodField()
    mask_url = serializers.SerializerMethodField()
    error = serializers.SerializerMethodField()
    reused = serializers.SerializerMethodField()
    garments = serializers.SerializerMethodField()
    share_url = serializers.SerializerMethodField()

    class Meta:
        model = TryOn
        fields = [
            "id",
            "url",
            "status",
            "garment",
            "garments",
            "model_photo",
            "model_image_url",
            "prompt",
            "seed",
            "result_url",
            "mask_url",
            "is_preview",
            "reused",
            "share_url",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "expires_at",
        ]
        read_only_fields = fields

    def _request(self) -> Any:
        return self.context.get("request")

    @extend_schema_field(serializers.URLField())
    def get_url(self, tryon: TryOn) -> str:
        path = reverse("tryon:tryon-detail", kwargs={"pk": tryon.pk})
        request = self._request()
        return request.build_absolute_uri(path) if request is not None else path

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_model_image_url(self, tryon: TryOn) -> str | None:
        return absolute_file_url(self._request(), tryon.model_photo.image)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_result_url(self, tryon: TryOn) -> str | None:
        if tryon.status != TryOn.Status.SUCCEEDED:
            return None
        return absolute_file_url(self._request(), tryon.result_image)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_mask_url(self, tryon: TryOn) -> str | None:
        if tryon.status != TryOn.Status.SUCCEEDED:
            return None
        return absolute_file_url(self._request(), tryon.mask_image)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_share_url(self, tryon: TryOn) -> str | None:
        """The share link while the shopper shares this result (it shows nothing else)."""
        path = share_path(tryon)
        request = self._request()
        return request.build_absolute_uri(path) if request and path else path

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_garments(self, tryon: TryOn) -> list[int]:
        """Every garment in the picture: two for an outfit (upper body first)."""
        return [step.garment_id for step in steps_of(tryon) if step.garment_id is not None]

    @extend_schema_field(TryOnErrorSerializer(allow_null=True))
    def get_error(self, tryon: TryOn) -> dict[str, Any] | None:
        return public_error(tryon)

    @extend_schema_field(serializers.BooleanField())
    def get_reused(self, tryon: TryOn) -> bool:
        """Answered from an identical earlier request, with no provider call."""
        return tryon.reused_from_id is not None


class PreviewSerializer(serializers.ModelSerializer):
    """A succeeded try-on of a garment on a preset model, for the product page."""

    model_photo = ModelPhotoSerializer(read_only=True)
    result_url = serializers.SerializerMethodField()

    class Meta:
        model = TryOn
        fields = ["id", "model_photo", "result_url", "is_preview", "finished_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField())
    def get_result_url(self, tryon: TryOn) -> str | None:
        return absolute_file_url(self.context.get("request"), tryon.result_image)
