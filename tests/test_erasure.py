"""Erasure and access requests: tryon_forget and tryon_export, and the consent record."""

from __future__ import annotations

import json
import zipfile
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from tests import images
from tests.conftest import run_queued
from tests.test_cleanup import files_of, media_files, shopper_upload
from tryon import signals
from tryon.analytics.models import TryOnEvent
from tryon.analytics.visitors import visitor_hash
from tryon.models import ModelPhoto, TryOn

pytestmark = pytest.mark.django_db(transaction=True)

PREVIEW_BODY = "/tryon/api/tryons/"


def _session_of(client: APIClient) -> str:
    return client.session.session_key


@pytest.fixture
def people(fake: Any, garment: Any, preset: Any, task_queue: Any) -> dict[str, Any]:
    """A signed-in user with an upload, an anonymous shopper, and a bystander."""
    user = get_user_model().objects.create_user("ada", "ada@example.com", "pw")
    ada = APIClient()
    ada.force_login(user)
    anon, bystander = APIClient(), APIClient()
    rows = {
        "ada_upload": shopper_upload(ada, garment, images.person_photo(600, 900)),
        "anon_upload": shopper_upload(anon, garment, images.person_photo(610, 900)),
        "bystander_upload": shopper_upload(bystander, garment, images.person_photo(620, 900)),
    }
    response = ada.post(
        PREVIEW_BODY, {"garment": garment.pk, "model_photo": str(preset.pk)}, format="json"
    )
    rows["ada_on_preset"] = TryOn.objects.get(pk=response.json()["id"])
    run_queued(task_queue)
    return {"user": user, "anon": anon, "bystander": bystander, "preset": preset, **rows}


def test_upload_records_the_consent_text_version_and_time(people: dict[str, Any]) -> None:
    photo = people["anon_upload"].model_photo
    assert photo.consent_version == "tryon-1"
    assert photo.consented_at is not None
    assert abs((photo.consented_at - photo.created_at).total_seconds()) < 5


def test_forget_by_email_removes_every_row_and_file_of_that_user(
    people: dict[str, Any], settings: Any
) -> None:
    theirs = files_of(people["ada_upload"])
    bystander_files = files_of(people["bystander_upload"])
    erased: list[Any] = []
    signals.personal_data_erased.connect(lambda **kw: erased.append(kw), weak=False)
    try:
        out = StringIO()
        call_command("tryon_forget", "--email", "ADA@example.com", stdout=out)
    finally:
        signals.personal_data_erased.receivers.clear()
    user = people["user"]
    assert not ModelPhoto.objects.filter(owner=user).exists()
    assert not TryOn.objects.filter(owner=user).exists()
    assert "Deleted 1 photo(s), 2 try-on(s)" in out.getvalue()
    remaining = media_files(settings)
    # The upload and its own result are gone; the bystander's files stay.
    assert not ({people["ada_upload"].model_photo.image.name} & remaining)
    assert bystander_files <= remaining
    assert theirs - remaining  # something of theirs was deleted from storage
    # The preset model and the shared preset result stay for everyone else.
    assert ModelPhoto.objects.filter(pk=people["preset"].pk).exists()
    assert erased and user.pk in erased[0]["person"].user_ids


def test_forget_by_session_leaves_nothing_of_that_shopper(
    people: dict[str, Any], settings: Any
) -> None:
    session = _session_of(people["anon"])
    files = files_of(people["anon_upload"])
    theirs = TryOnEvent.objects.filter(visitor=visitor_hash(session))
    others = TryOnEvent.objects.exclude(visitor=visitor_hash(session)).count()
    assert theirs.exists()  # the API recorded their try-on request
    out = StringIO()
    call_command("tryon_forget", "--session", session, stdout=out)
    assert not theirs.exists()  # no analytics event of theirs is left either
    assert TryOnEvent.objects.count() == others
    assert "analytics event(s)" in out.getvalue()
    assert not TryOn.objects.filter(session_key=session).exists()
    assert not ModelPhoto.objects.filter(session_key=session).exists()
    leftover = files & media_files(settings)
    # Only a result file still used by another shopper's row may stay.
    for name in leftover:
        assert TryOn.objects.filter(result_image=name).exists()
    assert people["anon_upload"].model_photo.image.name not in media_files(settings)
    assert TryOn.objects.filter(pk=people["bystander_upload"].pk).exists()


def test_export_writes_rows_and_files(people: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "ada.zip"
    call_command(
        "tryon_export", "--user", str(people["user"].pk), "--out", str(out), stdout=StringIO()
    )
    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read("tryon.json"))
        names = set(archive.namelist())
        upload_name = people["ada_upload"].model_photo.image.name
        assert f"files/{upload_name}" in names
        assert archive.read(f"files/{upload_name}")[:3] == b"\xff\xd8\xff"
    assert {row["id"] for row in manifest["tryons"]} == {
        str(people["ada_upload"].pk),
        str(people["ada_on_preset"].pk),
    }
    assert manifest["photos"][0]["consent_version"] == "tryon-1"
    # Nobody else's data in it.
    assert str(people["bystander_upload"].pk) not in json.dumps(manifest)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "one of the arguments"),
        (["--email", "nobody@example.com"], "No user has the e-mail address"),
        (["--user", "1", "--session", "abc"], "not allowed with argument"),
    ],
)
def test_forget_refuses_unclear_requests(db: Any, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("tryon_forget", *args, stdout=StringIO())


def test_export_refuses_a_non_zip_out(db: Any, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"must name a \.zip"):
        call_command("tryon_export", "--session", "abc", "--out", str(tmp_path / "x.tar"))
