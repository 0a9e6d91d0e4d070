"""The public read-only endpoints (preset models, a garment's previews) and the OpenAPI schema."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from rest_framework.test import APIClient

from tests import images
from tests.conftest import make_garment, make_model_photo
from tryon.models import TryOn, TryOnSource, TryOnStatus

pytestmark = pytest.mark.django_db


def succeeded(
    garment: Any,
    photo: Any,
    *,
    source: str = TryOnSource.PREVIEW,
    minutes_ago: int = 0,
    **kwargs: Any,
) -> TryOn:
    finished = timezone.now() - timedelta(minutes=minutes_ago)
    tryon = TryOn(
        garment=garment,
        model_photo=photo,
        status=TryOnStatus.SUCCEEDED,
        source=source,
        finished_at=finished,
        **kwargs,
    )
    tryon.result_image.save("r.webp", ContentFile(images.webp_bytes()), save=False)
    tryon.save()
    return tryon


def test_model_photos_lists_only_active_presets():
    alex = make_model_photo("Alex")
    make_model_photo("Retired", is_active=False)
    make_model_photo(
        "", is_preset=False, session_key="s1", expires_at=timezone.now() + timedelta(hours=1)
    )
    response = APIClient().get("/tryon/api/model-photos/")
    assert response.status_code == 200
    assert response.json() == [
        {
            "id": str(alex.pk),
            "name": "Alex",
            "image_url": f"http://testserver/media/{alex.image.name}",
            "is_own": False,
            "expires_at": None,
        }
    ]  # another session's upload is not listed


def test_previews_one_per_preset_model_preview_source_first(garment):
    alex, blair = make_model_photo("Alex"), make_model_photo("Blair")
    preview = succeeded(garment, alex, minutes_ago=10)
    succeeded(
        garment, alex, source=TryOnSource.SHOPPER, minutes_ago=1, session_key="s"
    )  # newer, not a preview
    blair_shopper = succeeded(garment, blair, source=TryOnSource.SHOPPER, session_key="s")
    response = APIClient().get(f"/tryon/api/garments/{garment.pk}/previews/")
    assert response.status_code == 200
    body = response.json()
    assert [item["id"] for item in body] == [str(preview.pk), str(blair_shopper.pk)]
    assert body[0]["model_photo"]["name"] == "Alex"
    assert body[0]["result_url"] == f"http://testserver/media/{preview.result_image.name}"
    assert set(body[0]) == {"id", "model_photo", "result_url", "is_preview", "finished_at"}


def test_previews_never_show_uploads_failures_or_other_garments(garment):
    alex = make_model_photo("Alex")
    upload = make_model_photo(
        "", is_preset=False, session_key="s", expires_at=timezone.now() + timedelta(hours=1)
    )
    succeeded(garment, upload, source=TryOnSource.SHOPPER, session_key="s")
    TryOn.objects.create(
        garment=garment, model_photo=alex, status=TryOnStatus.FAILED, error_code=10005
    )
    TryOn.objects.create(garment=garment, model_photo=alex, status=TryOnStatus.PENDING)
    succeeded(make_garment(name="Other"), alex)
    retired = make_model_photo("Retired", is_active=False)
    succeeded(garment, retired)
    assert APIClient().get(f"/tryon/api/garments/{garment.pk}/previews/").json() == []


def test_previews_of_missing_or_inactive_garment_are_404():
    hidden = make_garment(is_active=False)
    assert APIClient().get(f"/tryon/api/garments/{hidden.pk}/previews/").status_code == 404
    assert APIClient().get("/tryon/api/garments/999999/previews/").status_code == 404


def test_openapi_schema_documents_the_endpoints_under_the_host_prefix():
    response = APIClient().get("/tryon/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "django-tryon API"
    assert set(schema["paths"]) == {
        "/tryon/api/tryons/",
        "/tryon/api/tryons/{id}/",
        "/tryon/api/tryons/{id}/share/",
        "/tryon/api/model-photos/",
        "/tryon/api/model-photos/{id}/",
        "/tryon/api/garments/{id}/previews/",
    }
    create = schema["paths"]["/tryon/api/tryons/"]["post"]
    assert {"201", "202"} <= set(create["responses"])
    assert "multipart/form-data" in create["requestBody"]["content"]
    resource = schema["components"]["schemas"]["TryOn"]["properties"]
    assert {
        "id",
        "status",
        "result_url",
        "mask_url",
        "seed",
        "error",
        "created_at",
        "finished_at",
    } <= set(resource)
    request_body = schema["components"]["schemas"]["TryOnCreateRequest"]["properties"]
    assert request_body["guidance_scale"]["maximum"] == 100
    assert request_body["num_inference_steps"]["maximum"] == 50
    assert request_body["model_image"]["format"] == "binary"


def test_openapi_schema_as_yaml_by_default():
    response = APIClient().get("/tryon/api/schema/")
    assert response.status_code == 200
    assert response.content.startswith(b"openapi: 3.")
