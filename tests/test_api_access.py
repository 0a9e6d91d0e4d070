"""Who may do what: ownership, CSRF, anonymous shoppers, throttles, the daily cap, DELETE."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from tests import images
from tests.conftest import make_garment, run_queued, tryon_settings_for
from tryon import limits
from tryon.backends import BaseBackend
from tryon.backends.changeclothes_codes import ERROR_CLASSES
from tryon.exceptions import LimitExceededError, ProviderError
from tryon.models import ModelPhoto, TryOn, TryOnStatus
from tryon.storage import private_root

pytestmark = pytest.mark.django_db(transaction=True)

CREATE_URL = "/tryon/api/tryons/"


def detail_url(tryon_id: Any) -> str:
    return f"/tryon/api/tryons/{tryon_id}/"


def create(client: Any, garment: Any, preset: Any) -> Any:
    return client.post(
        CREATE_URL, {"garment": garment.pk, "model_photo": str(preset.pk)}, format="json"
    )


def create_upload(client: Any, garment: Any, content: bytes | None = None) -> Any:
    photo = SimpleUploadedFile("me.jpg", content or images.person_photo(), "image/jpeg")
    data = {"garment": garment.pk, "model_image": photo, "consent": "true"}
    return client.post(CREATE_URL, data, format="multipart")


# -- ownership -------------------------------------------------------------------------


def test_another_session_gets_404_and_cannot_delete(fake, garment, preset, task_queue):
    owner = APIClient()
    tryon_id = create(owner, garment, preset).json()["id"]
    assert owner.get(detail_url(tryon_id)).status_code == 200

    stranger = APIClient()
    assert stranger.get(detail_url(tryon_id)).status_code == 404
    stranger.get("/tryon/api/model-photos/")  # has a session of its own now? still 404
    stranger.post(CREATE_URL, {}, format="json")
    assert stranger.get(detail_url(tryon_id)).status_code == 404
    assert stranger.delete(detail_url(tryon_id)).status_code == 404
    assert TryOn.objects.filter(pk=tryon_id).exists()


def test_signed_in_users_own_their_tryons_and_staff_see_all(
    fake, garment, preset, task_queue, django_user_model
):
    alice = django_user_model.objects.create_user("alice", password="x")
    bob = django_user_model.objects.create_user("bob", password="x")
    staff = django_user_model.objects.create_user("staff", password="x", is_staff=True)
    as_alice = APIClient()
    as_alice.force_authenticate(alice)
    tryon_id = create(as_alice, garment, preset).json()["id"]
    row = TryOn.objects.get(pk=tryon_id)
    assert row.owner == alice and row.session_key == ""

    as_bob = APIClient()
    as_bob.force_authenticate(bob)
    assert as_bob.get(detail_url(tryon_id)).status_code == 404
    anonymous = APIClient()
    assert anonymous.get(detail_url(tryon_id)).status_code == 404
    as_staff = APIClient()
    as_staff.force_authenticate(staff)
    assert as_staff.get(detail_url(tryon_id)).json()["id"] == tryon_id


def test_signing_in_keeps_access_to_what_the_session_made(
    fake, garment, preset, task_queue, django_user_model
):
    client = APIClient()
    tryon_id = create(client, garment, preset).json()["id"]
    anonymous_key = client.session.session_key
    client.force_login(django_user_model.objects.create_user("frank", password="x"))
    assert client.session.session_key != anonymous_key  # login cycles the key
    assert client.get(detail_url(tryon_id)).status_code == 200
    client.logout()  # flushes the session: nothing is remembered any more
    assert client.get(detail_url(tryon_id)).status_code == 404


def test_expired_tryon_is_gone_for_its_owner_before_cleanup(fake, garment, task_queue):
    client = APIClient()
    tryon_id = create_upload(client, garment).json()["id"]
    TryOn.objects.filter(pk=tryon_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(detail_url(tryon_id)).status_code == 404


def test_anonymous_shoppers_can_be_turned_off(fake, garment, preset, task_queue, django_user_model):
    with override_settings(TRYON=tryon_settings_for(fake, ALLOW_ANONYMOUS=False)):
        response = create(APIClient(), garment, preset)
        assert response.status_code in (401, 403)
        assert TryOn.objects.count() == 0
        user = django_user_model.objects.create_user("carol", password="x")
        signed_in = APIClient()
        signed_in.force_authenticate(user)
        assert create(signed_in, garment, preset).status_code == 202


# -- CSRF ------------------------------------------------------------------------------


def test_csrf_is_enforced_for_anonymous_post_and_delete(fake, garment, preset, task_queue):
    client = Client(enforce_csrf_checks=True)
    payload = {"garment": garment.pk, "model_photo": str(preset.pk)}
    refused = client.post(CREATE_URL, payload, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert TryOn.objects.count() == 0 and fake.call_count == 0

    # As the widget does: the token from the page, sent back in the header.
    client.get("/tryon/api/model-photos/")
    from django.middleware.csrf import _get_new_csrf_string

    token = _get_new_csrf_string()
    client.cookies["csrftoken"] = token
    accepted = client.post(
        CREATE_URL, payload, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 202, accepted.content
    tryon_id = accepted.json()["id"]

    # A cross-site page: the browser sends the cookie, but it cannot read the token.
    forged = client.delete(detail_url(tryon_id))
    assert forged.status_code == 403
    assert TryOn.objects.filter(pk=tryon_id).exists()
    # Nor may another origin, even with a token.
    cross_origin = client.delete(
        detail_url(tryon_id), HTTP_X_CSRFTOKEN=token, HTTP_ORIGIN="https://evil.example"
    )
    assert cross_origin.status_code == 403
    deleted = client.delete(detail_url(tryon_id), HTTP_X_CSRFTOKEN=token)
    assert deleted.status_code == 204
    assert not TryOn.objects.filter(pk=tryon_id).exists()


def test_csrf_is_enforced_for_signed_in_session_users(fake, garment, preset, django_user_model):
    user = django_user_model.objects.create_user("dave", password="x")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(
        CREATE_URL,
        {"garment": garment.pk, "model_photo": str(preset.pk)},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert TryOn.objects.count() == 0


# -- throttles -------------------------------------------------------------------------


def test_burst_throttle_answers_429_with_retry_after(fake, garment, preset, task_queue):
    client = APIClient()
    with override_settings(TRYON=tryon_settings_for(fake, BURST_RATE="3/min")):
        statuses = [create(client, garment, preset).status_code for _ in range(3)]
        assert statuses == [202, 201, 201] or statuses == [202, 202, 202]
        throttled = create(client, garment, preset)
    assert throttled.status_code == 429
    assert 0 < int(throttled["Retry-After"]) <= 60
    assert "Too many try-ons" in throttled.json()["detail"]
    assert TryOn.objects.count() == 3


def test_burst_throttle_counts_per_shopper_not_per_session(fake, garment, preset, task_queue):
    with override_settings(TRYON=tryon_settings_for(fake, BURST_RATE="2/min")):
        for _ in range(2):
            assert create(APIClient(), garment, preset).status_code in (201, 202)
        # A fresh session (cookies dropped) is the same shopper: same address.
        assert create(APIClient(), garment, preset).status_code == 429
        other_address = APIClient(REMOTE_ADDR="10.0.0.7")
        assert create(other_address, garment, preset).status_code in (201, 202)


def test_daily_throttle_answers_429_with_a_long_retry_after(fake, garment, preset, task_queue):
    client = APIClient()
    with override_settings(TRYON=tryon_settings_for(fake, DAILY_RATE="2/day")):
        assert create(client, garment, preset).status_code == 202
        assert create(client, garment, preset).status_code in (201, 202)
        throttled = create(client, garment, preset)
    assert throttled.status_code == 429
    assert 3600 < int(throttled["Retry-After"]) <= 86400


def test_default_rates_need_no_host_configuration(fake, garment, preset, task_queue, settings):
    assert not hasattr(settings, "REST_FRAMEWORK")
    client = APIClient()
    codes = [create(client, garment, preset).status_code for _ in range(11)]
    assert codes[:10].count(429) == 0
    assert codes[10] == 429  # the shipped BURST_RATE is 10/min


def test_polling_is_not_throttled(fake, garment, preset, task_queue):
    client = APIClient()
    with override_settings(TRYON=tryon_settings_for(fake, BURST_RATE="1/min")):
        tryon_id = create(client, garment, preset).json()["id"]
        assert all(client.get(detail_url(tryon_id)).status_code == 200 for _ in range(5))


def test_staff_are_not_throttled(fake, garment, preset, task_queue, django_user_model):
    staff = django_user_model.objects.create_user("staff", password="x", is_staff=True)
    client = APIClient()
    client.force_authenticate(staff)
    with override_settings(TRYON=tryon_settings_for(fake, BURST_RATE="1/min")):
        assert {create(client, garment, preset).status_code for _ in range(3)} <= {201, 202}


# -- the store-wide daily cap ----------------------------------------------------------


def spend_paid_calls(fake: Any, task_queue: Any, count: int) -> None:
    """Make ``count`` paid calls today (distinct garments, so no dedup)."""
    client = APIClient(REMOTE_ADDR="10.9.9.9")
    from tests.conftest import make_model_photo

    preset = make_model_photo("Spender")
    for index in range(count):
        garment = make_garment(name=f"g{index}", description=f"garment number {index}")
        assert create(client, garment, preset).status_code == 202
    assert set(run_queued(task_queue)) == {TryOnStatus.SUCCEEDED}


def test_daily_cap_refuses_new_paid_tryons_with_a_clear_message(
    fake, garment, preset, task_queue, settings
):
    with override_settings(TRYON=tryon_settings_for(fake, DAILY_PAID_CALL_LIMIT=2)):
        spend_paid_calls(fake, task_queue, 2)
        assert limits.paid_calls_today() == 2
        before = TryOn.objects.count()
        refused = create(APIClient(), garment, preset)
        assert refused.status_code == 503
        assert refused.json() == {
            "detail": str(LimitExceededError.user_message),
            "code": "daily_limit",
        }
        assert 0 < int(refused["Retry-After"]) <= 86400 + 1
        assert TryOn.objects.count() == before
        assert task_queue.results == []

        # An upload refused by the cap leaves no photo behind either.
        refused_upload = create_upload(APIClient(), garment)
        assert refused_upload.status_code == 503
        assert not ModelPhoto.objects.filter(is_preset=False).exists()
        assert not [name for name in media_files(settings) if "uploads" in name]
    assert fake.call_count == 2


def test_daily_cap_still_answers_from_existing_results(fake, garment, preset, task_queue):
    client = APIClient()
    create(client, garment, preset)
    run_queued(task_queue)
    with override_settings(TRYON=tryon_settings_for(fake, DAILY_PAID_CALL_LIMIT=1)):
        again = create(client, garment, preset)
    assert again.status_code == 201  # free: the cap does not apply
    assert fake.call_count == 1


def test_daily_cap_is_checked_by_the_worker_too(fake, garment, preset, task_queue):
    client = APIClient()
    response = create(client, garment, preset)
    with override_settings(TRYON=tryon_settings_for(fake, DAILY_PAID_CALL_LIMIT=0)):
        assert run_queued(task_queue) == [TryOnStatus.FAILED]
    assert fake.call_count == 0
    body = client.get(detail_url(response.json()["id"])).json()
    assert body["status"] == "failed" and body["error"]["message"]


def test_daily_cap_counts_only_todays_calls(fake, garment, preset, task_queue):
    with override_settings(TRYON=tryon_settings_for(fake, DAILY_PAID_CALL_LIMIT=1)):
        spend_paid_calls(fake, task_queue, 1)
        assert limits.daily_cap_reached()
        from tryon.models import DailyUsage

        yesterday = limits.start_of_today().date() - timedelta(days=1)
        DailyUsage.objects.update(day=yesterday)
        assert not limits.daily_cap_reached()
        assert create(APIClient(), garment, preset).status_code == 202


def test_offline_backend_has_no_cap(garment, preset, task_queue):
    with override_settings(
        TRYON={"BACKEND": "tests.test_api_access.FreeBackend", "DAILY_PAID_CALL_LIMIT": 0}
    ):
        assert create(APIClient(), garment, preset).status_code == 202


class FreeBackend(BaseBackend):
    """Stands in for the offline preview backend: not paid."""

    is_paid = False


# -- errors shown to shoppers ----------------------------------------------------------


@pytest.mark.parametrize("code", [10003, 10005, 10004, 30001, 10006])
def test_failed_tryon_shows_the_error_class_message_not_the_provider_text(
    fake, garment, preset, task_queue, code
):
    client = APIClient()
    tryon_id = create(client, garment, preset).json()["id"]
    fake.fail_next(code, msg="SECRET-PROVIDER-DETAIL")
    assert run_queued(task_queue) == [TryOnStatus.FAILED]
    body = client.get(detail_url(tryon_id)).json()
    assert body["status"] == "failed"
    assert body["error"] == {"code": code, "message": str(ERROR_CLASSES[code].user_message)}
    assert "SECRET-PROVIDER-DETAIL" not in str(body)
    assert body["result_url"] is None


def test_out_of_credits_and_harmful_content_messages():
    assert str(ERROR_CLASSES[10003].user_message) == "Try-on is unavailable right now."
    assert "can't create a try-on from this photo" in str(ERROR_CLASSES[10005].user_message)


def test_internal_failure_shows_a_generic_message(fake, garment, preset, task_queue):
    client = APIClient()
    tryon_id = create(client, garment, preset).json()["id"]
    TryOn.objects.filter(pk=tryon_id).update(
        status=TryOnStatus.FAILED,
        error_code=None,
        error_message="Internal error: KeyError /srv/secret",
    )
    body = client.get(detail_url(tryon_id)).json()
    assert body["error"] == {"code": None, "message": str(ProviderError.user_message)}


# -- DELETE ----------------------------------------------------------------------------


def media_files(settings: Any) -> set[str]:
    """Every stored file's name: the public media folder and the private one."""
    names: set[str] = set()
    for root in (Path(settings.MEDIA_ROOT), Path(private_root())):
        names |= {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
    return names


def test_delete_removes_the_upload_its_tryons_and_their_files_at_once(
    fake, garment, task_queue, settings
):
    client = APIClient()
    first_id = create_upload(client, garment).json()["id"]
    photo = TryOn.objects.get(pk=first_id).model_photo
    second = make_garment("lower_body", name="Trousers")
    second_id = client.post(
        CREATE_URL, {"garment": second.pk, "model_photo": str(photo.pk)}, format="json"
    ).json()["id"]
    run_queued(task_queue)
    rows = list(TryOn.objects.filter(pk__in=[first_id, second_id]))
    names = {photo.image.name} | {n for r in rows for n in (r.result_image.name, r.mask_image.name)}
    assert names <= media_files(settings)

    response = client.delete(detail_url(first_id))
    assert response.status_code == 204
    assert not TryOn.objects.filter(pk__in=[first_id, second_id]).exists()
    assert not ModelPhoto.objects.filter(pk=photo.pk).exists()
    assert not (names & media_files(settings))
    assert client.get(detail_url(second_id)).status_code == 404


def test_delete_keeps_a_result_file_another_tryon_shares(
    fake, garment, preset, task_queue, settings
):
    alice, bob = APIClient(), APIClient(REMOTE_ADDR="10.0.0.2")
    alice_id = create(alice, garment, preset).json()["id"]
    run_queued(task_queue)
    bob_response = create(bob, garment, preset)
    assert bob_response.status_code == 201  # shares Alice's result file
    result_name = TryOn.objects.get(pk=alice_id).result_image.name

    assert alice.delete(detail_url(alice_id)).status_code == 204
    assert result_name in media_files(settings)  # Bob still shows it
    assert bob.get(bob_response["Location"]).json()["result_url"].endswith(result_name)
    assert ModelPhoto.objects.filter(pk=preset.pk).exists()  # a preset is never deleted

    assert bob.delete(bob_response["Location"]).status_code == 204
    assert result_name not in media_files(settings)


def test_deleting_tryons_does_not_give_back_spent_calls(fake, garment, preset, task_queue):
    with override_settings(TRYON=tryon_settings_for(fake, DAILY_PAID_CALL_LIMIT=1)):
        client = APIClient(REMOTE_ADDR="10.9.9.8")
        created = create(client, garment, preset)
        run_queued(task_queue)
        assert limits.daily_cap_reached()
        assert client.delete(detail_url(created.json()["id"])).status_code == 204
        TryOn.objects.all().delete()
        assert limits.paid_calls_today() == 1
        assert create(client, make_garment(name="other"), preset).status_code == 503


def test_forged_forwarded_for_does_not_escape_the_throttle(fake, garment, preset, task_queue):
    with override_settings(TRYON=tryon_settings_for(fake, BURST_RATE="2/min")):
        statuses = []
        for index in range(4):
            client = APIClient(REMOTE_ADDR="10.7.7.7", HTTP_X_FORWARDED_FOR=f"203.0.113.{index}")
            statuses.append(create(client, make_garment(name=f"x{index}"), preset).status_code)
    assert statuses == [202, 202, 429, 429]
