"""Results in S3 (django-storages' S3Storage) against moto's server mode on loopback."""

from __future__ import annotations

import hashlib
import io
import posixpath
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.test import override_settings
from PIL import Image

from tests import images
from tests.conftest import make_model_photo, run_queued, tryon_settings_for
from tryon import services
from tryon.models import Garment, ModelPhoto, TryOn, TryOnStatus
from tryon.provenance import TRAINED_ALGORITHMIC_MEDIA, digital_source_type
from tryon.storage import content_hash_name, save_content_addressed

pytestmark = [pytest.mark.s3, pytest.mark.django_db(transaction=True)]

BUCKET = "tryon-test-results"
ALIAS = "tryon-s3"
DUMMY = "not-a-real-key"


@pytest.fixture
def moto_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """moto's S3 over HTTP on 127.0.0.1; only dummy credentials are ever visible."""
    from moto.server import ThreadedMotoServer

    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", DUMMY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", DUMMY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    # moto keeps its buckets per process, not per server: start each test empty.
    httpx.post(f"{endpoint}/moto-api/reset").raise_for_status()
    try:
        yield endpoint
    finally:
        httpx.post(f"{endpoint}/moto-api/reset")
        server.stop()


@pytest.fixture
def bucket(moto_endpoint: str) -> Any:
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        aws_access_key_id=DUMMY,
        aws_secret_access_key=DUMMY,
        region_name="us-east-1",
    )
    s3.create_bucket(Bucket=BUCKET)
    return s3


@pytest.fixture
def s3_storage(bucket: Any, moto_endpoint: str, fake: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """TRYON["STORAGE"] names an S3 alias, as a shop on S3 configures it."""
    stores = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        ALIAS: {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": moto_endpoint,
                "access_key": DUMMY,
                "secret_key": DUMMY,
                "region_name": "us-east-1",
                "addressing_style": "path",
            },
        },
    }
    with override_settings(STORAGES=stores, TRYON=tryon_settings_for(fake, STORAGE=ALIAS)):
        storage = storages[ALIAS]
        # The file fields follow TRYON["STORAGE"] (tryon.storage.ConfiguredStorage).
        for model, name in [
            (Garment, "image"),
            (ModelPhoto, "image"),
            (TryOn, "result_image"),
            (TryOn, "mask_image"),
        ]:
            assert model._meta.get_field(name).storage.bucket_name == BUCKET
        yield storage


def pixels(content: bytes) -> bytes:
    with Image.open(io.BytesIO(content)) as image:
        return image.convert("RGBA").tobytes()


def keys(s3: Any, prefix: str = "") -> dict[str, bytes]:
    listing = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read() for o in listing}


def garment(name: str, colour: tuple[int, int, int], **kwargs: Any) -> Garment:
    g = Garment(name=name, **kwargs)
    g.image.save("g.jpg", ContentFile(images.garment_photo(color=colour)), save=False)
    g.save()
    return g


def test_results_land_in_the_bucket_under_their_hash_and_their_urls_answer(
    s3_storage, bucket, fake, task_queue
):
    model = make_model_photo()
    red, blue = garment("Red", (200, 30, 40)), garment("Blue", (30, 60, 200))
    for g in (red, blue):
        services.request_tryon(garment=g, model_photo=model)
    assert run_queued(task_queue) == [TryOnStatus.SUCCEEDED] * 2

    results = keys(bucket, "tryon/results/")
    tryons = list(TryOn.objects.all())
    result_names = {t.result_image.name for t in tryons}
    mask_names = {t.mask_image.name for t in tryons}
    assert set(results) == result_names | mask_names
    assert len(result_names) == 2  # two different pictures, two objects
    # Both masks are the same picture (same model, same region): stored once.
    assert len(mask_names) == 1 and not mask_names & result_names
    for key, content in results.items():
        digest = hashlib.sha256(content).hexdigest()
        assert key == content_hash_name("results", content, "webp")
        assert posixpath.basename(key) == f"{digest}.webp"
    # The uploads went to the bucket too, and nothing to the filesystem storage.
    assert keys(bucket, "tryon/garments/") and keys(bucket, "tryon/models/")

    # The stored pictures are the provider's (with our provenance XMP spliced in, pixels
    # untouched), and the URLs the app hands out answer with them.
    served = {pixels(content) for content in fake.results.values()}
    for tryon in tryons:
        url = tryon.result_image.url
        assert url.startswith(s3_storage.endpoint_url)
        response = httpx.get(url)
        assert response.status_code == 200
        assert response.content == results[tryon.result_image.name]
        assert pixels(response.content) in served
        assert digital_source_type(response.content) == TRAINED_ALGORITHMIC_MEDIA


def test_same_picture_is_one_object_and_a_different_one_never_overwrites_it(
    s3_storage, bucket, fake, task_queue, monkeypatch
):
    model = make_model_photo()
    first = garment("Red", (200, 30, 40))
    # The same picture with another description: another request, the same pixels back.
    twin = garment("Red again", (200, 30, 40), description="A red T-shirt")
    for g in (first, twin):
        services.request_tryon(garment=g, model_photo=model)

    puts: list[str] = []
    real_save = type(s3_storage)._save

    def counting_save(self: Any, name: str, content: Any) -> str:
        puts.append(name)
        return real_save(self, name, content)

    monkeypatch.setattr(type(s3_storage), "_save", counting_save)
    assert run_queued(task_queue) == [TryOnStatus.SUCCEEDED] * 2
    assert fake.call_count == 2  # two different requests, both paid
    a, b = TryOn.objects.order_by("created_at")
    assert a.result_image.name == b.result_image.name  # one object for one picture
    assert len(puts) == 2  # result + mask once: the second job found them already there
    before = keys(bucket, "tryon/results/")
    etag = bucket.head_object(Bucket=BUCKET, Key=a.result_image.name)["ETag"]

    # A different picture gets a different key and leaves the first object untouched.
    other = images.encode(images.solid(300, 400, (10, 200, 10)), "WEBP")
    name = save_content_addressed("results", other, "webp")
    assert name != a.result_image.name
    after = keys(bucket, "tryon/results/")
    assert after[a.result_image.name] == before[a.result_image.name]
    assert bucket.head_object(Bucket=BUCKET, Key=a.result_image.name)["ETag"] == etag
    assert after[name] == other

    # Saving the first picture again writes nothing and names the same object.
    again = save_content_addressed("results", before[a.result_image.name], "webp")
    assert again == a.result_image.name
    assert len(puts) == 3  # only the different picture was written


def test_identical_request_is_answered_from_the_stored_object(s3_storage, fake, task_queue):
    model = make_model_photo()
    red = garment("Red", (200, 30, 40))
    services.request_tryon(garment=red, model_photo=model)
    run_queued(task_queue)
    second, answered_now = services.request_tryon(garment=red, model_photo=model)
    assert answered_now and second.status == TryOnStatus.SUCCEEDED
    assert fake.call_count == 1
    assert httpx.get(second.result_image.url).status_code == 200


def test_shopper_files_are_private_objects_behind_presigned_urls(
    bucket, moto_endpoint, fake, task_queue, garment_for_s3_private
):
    """A shopper's upload and result go to the private alias; their URLs are presigned."""
    from tryon.models import ModelPhoto

    photo = ModelPhoto(is_preset=False, session_key="s" * 32)
    photo.image.save("me.jpg", ContentFile(images.person_photo()), save=False)
    photo.save()
    tryon, _ = services.request_tryon(garment=garment_for_s3_private, model_photo=photo)
    assert run_queued(task_queue) == [TryOnStatus.SUCCEEDED]
    tryon.refresh_from_db()
    private = keys(bucket, "private-bucket-prefix/")
    assert photo.image.name.startswith("tryon/private/uploads/")
    assert tryon.result_image.name.startswith("tryon/private/results/")
    assert {
        f"private-bucket-prefix/{photo.image.name}",
        f"private-bucket-prefix/{tryon.result_image.name}",
    } <= set(private)
    url = tryon.result_image.url
    assert "X-Amz-Signature=" in url or "Signature=" in url  # presigned, expiring
    assert httpx.get(url).status_code == 200
    # Without the signature the object is not readable.
    assert httpx.get(url.split("?")[0]).status_code in (401, 403)


@pytest.fixture
def garment_for_s3_private(bucket: Any, moto_endpoint: str, fake: Any) -> Iterator[Garment]:
    options = {
        "bucket_name": BUCKET,
        "endpoint_url": moto_endpoint,
        "access_key": DUMMY,
        "secret_key": DUMMY,
        "region_name": "us-east-1",
        "addressing_style": "path",
    }
    stores = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        ALIAS: {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
        "tryon-private": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                **options,
                "location": "private-bucket-prefix",
                "default_acl": "private",
                "querystring_auth": True,
                "querystring_expire": 300,
            },
        },
    }
    settings = tryon_settings_for(fake, STORAGE=ALIAS, PRIVATE_STORAGE="tryon-private")
    with override_settings(STORAGES=stores, TRYON=settings):
        yield garment("Red", (200, 30, 40))


def test_erasure_leaves_nothing_of_the_shopper_in_the_bucket(
    bucket, moto_endpoint, fake, task_queue, garment_for_s3_private
):
    from io import StringIO

    from django.core.management import call_command

    photo = ModelPhoto(is_preset=False, session_key="e" * 32)
    photo.image.save("me.jpg", ContentFile(images.person_photo()), save=False)
    photo.save()
    services.request_tryon(garment=garment_for_s3_private, model_photo=photo, session_key="e" * 32)
    assert run_queued(task_queue) == [TryOnStatus.SUCCEEDED]
    assert keys(bucket, "private-bucket-prefix/")  # the upload and its result are there
    call_command("tryon_forget", "--session", "e" * 32, stdout=StringIO())
    assert keys(bucket, "private-bucket-prefix/") == {}
    assert not ModelPhoto.objects.filter(session_key="e" * 32).exists()
    assert not TryOn.objects.filter(session_key="e" * 32).exists()
