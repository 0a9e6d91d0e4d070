"""The admin's preview tools, driven with Django's test client against the fake provider."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.base import ContentFile
from django.urls import reverse

from tests import images
from tests.conftest import make_model_photo, run_queued
from tryon.models import Garment, ModelPhoto, TryOn, TryOnSource, TryOnStatus

pytestmark = pytest.mark.django_db(transaction=True)

GARMENTS = "admin:tryon_garment_changelist"


def colour_garment(
    name: str, colour: tuple[int, int, int], category: str = "upper_body"
) -> Garment:
    """A garment of its own colour, so that previews of different garments never dedup."""
    garment = Garment(name=name, category=category)
    garment.image.save(
        "garment.jpg", ContentFile(images.garment_photo(category, color=colour)), save=False
    )
    garment.save()
    return garment


def person(name: str, width: int, **kwargs: Any) -> ModelPhoto:
    """A preset model with a picture of its own (identical pictures share one result)."""
    photo = ModelPhoto(name=name, **kwargs)
    photo.image.save("person.jpg", ContentFile(images.person_photo(width, 900)), save=False)
    photo.save()
    return photo


def action(client: Any, url_name: str, name: str, objects: list[Any], **data: Any) -> Any:
    payload: dict[str, Any] = {"action": name, ACTION_CHECKBOX_NAME: [str(o.pk) for o in objects]}
    payload.update(data)
    return client.post(reverse(url_name), payload)


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def catalogue(db: Any) -> dict[str, Any]:
    return {
        "garments": [
            colour_garment("Red tee", (200, 30, 40)),
            colour_garment("Blue trousers", (30, 70, 190), "lower_body"),
        ],
        "models": [person("Alex", 600), person("Billie", 640)],
        # Neither may be offered: an inactive preset and a shopper's own upload.
        "inactive": make_model_photo("Retired", is_active=False),
        "upload": make_model_photo("", is_preset=False),
    }


def test_generate_previews_action_page_queue_run_and_thumbnails(
    admin_client, fake, catalogue, task_queue
):
    garments, models = catalogue["garments"], catalogue["models"]

    page = action(admin_client, GARMENTS, "generate_tryon_previews", garments)
    assert page.status_code == 200
    assert next(t.name for t in page.templates) == "admin/tryon/generate_previews.html"
    html = page.content.decode()
    assert "2 garments are selected" in html
    form = page.context["form"]
    assert set(form.fields["model_photos"].queryset) == set(models)
    for model in models:  # every preset is offered, ticked
        assert f'value="{model.pk}"' in html
    assert html.count("checked") >= len(models) + 1  # + "retry failed"
    assert str(catalogue["inactive"].pk) not in html
    assert str(catalogue["upload"].pk) not in html
    assert fake.call_count == 0 and not task_queue.results  # nothing queued yet

    done = action(
        admin_client,
        GARMENTS,
        "generate_tryon_previews",
        garments,
        apply="1",
        model_photos=[str(m.pk) for m in models],
        retry_failed="on",
    )
    assert done.status_code == 302
    assert len(task_queue.results) == 4
    queued = TryOn.objects.all()
    assert {(t.garment_id, t.model_photo_id) for t in queued} == {
        (g.pk, m.pk) for g in garments for m in models
    }
    assert {t.source for t in queued} == {TryOnSource.PREVIEW}
    listing = admin_client.get(done["Location"])
    assert "4 queued" in " ".join(messages_of(listing))

    assert run_queued(task_queue) == [TryOnStatus.SUCCEEDED] * 4  # as a worker would
    assert fake.call_count == 4

    for garment in garments:
        change = admin_client.get(reverse("admin:tryon_garment_change", args=[garment.pk]))
        html = change.content.decode()
        for tryon in TryOn.objects.filter(garment=garment):
            assert tryon.result_image.url in html  # the preview thumbnail
        assert "Alex" in html and "Billie" in html
        assert "Succeeded: 2" in html
    changelist = admin_client.get(reverse(GARMENTS)).content.decode()
    assert changelist.count("Succeeded: 2") == 2

    # Again: everything is done, nothing is queued or paid twice.
    again = action(
        admin_client,
        GARMENTS,
        "generate_tryon_previews",
        garments,
        apply="1",
        model_photos=[str(m.pk) for m in models],
    )
    summary = " ".join(messages_of(admin_client.get(again["Location"])))
    assert "0 queued" in summary and "4 already done" in summary
    assert not task_queue.results
    assert TryOn.objects.count() == 4


def test_action_queues_only_the_chosen_models_and_skips_queued_ones(
    admin_client, fake, catalogue, task_queue
):
    garments, (alex, billie) = catalogue["garments"], catalogue["models"]
    response = action(
        admin_client,
        GARMENTS,
        "generate_tryon_previews",
        garments,
        apply="1",
        model_photos=[str(alex.pk)],
    )
    assert response.status_code == 302
    assert len(task_queue.results) == 2
    assert set(TryOn.objects.values_list("model_photo_id", flat=True)) == {alex.pk}

    # Both models now: Alex's are already queued, only Billie's are new.
    response = action(
        admin_client,
        GARMENTS,
        "generate_tryon_previews",
        garments,
        apply="1",
        model_photos=[str(alex.pk), str(billie.pk)],
    )
    follow = admin_client.get(response["Location"])
    assert "2 queued" in " ".join(messages_of(follow))
    assert "2 already queued or running" in " ".join(messages_of(follow))
    assert TryOn.objects.count() == 4


def test_no_model_chosen_shows_the_page_again_with_an_error(admin_client, catalogue, task_queue):
    response = action(
        admin_client, GARMENTS, "generate_tryon_previews", catalogue["garments"], apply="1"
    )
    assert response.status_code == 200
    assert "Choose at least one preset model." in response.content.decode()
    assert not task_queue.results


def test_without_presets_the_action_says_so(admin_client, garment, task_queue):
    response = action(admin_client, GARMENTS, "generate_tryon_previews", [garment])
    assert response.status_code == 302
    follow = admin_client.get(response["Location"])
    assert "no active preset models" in " ".join(messages_of(follow))


def test_failed_preview_shows_code_and_message_and_can_be_retried(
    admin_client, fake, garment, preset, task_queue
):
    fake.fail_next(10005)
    action(
        admin_client,
        GARMENTS,
        "generate_tryon_previews",
        [garment],
        apply="1",
        model_photos=[str(preset.pk)],
    )
    assert run_queued(task_queue) == [TryOnStatus.FAILED]
    failed = TryOn.objects.get()
    assert failed.error_code == 10005

    html = admin_client.get(reverse("admin:tryon_garment_change", args=[garment.pk])).content
    text = html.decode()
    assert "Failed: 1" in text
    assert "10005" in text
    assert "refused the images or prompt as harmful content" in text

    listing = admin_client.get(reverse("admin:tryon_tryon_changelist")).content.decode()
    assert "10005" in listing and "harmful content" in listing
    detail = admin_client.get(reverse("admin:tryon_tryon_change", args=[failed.pk]))
    assert "refused the images or prompt as harmful content" in detail.content.decode()

    response = action(admin_client, GARMENTS, "retry_failed_tryon_previews", [garment])
    assert "1 failed preview queued again." in " ".join(
        messages_of(admin_client.get(response["Location"]))
    )
    assert run_queued(task_queue) == [TryOnStatus.SUCCEEDED]
    failed.refresh_from_db()
    assert failed.status == TryOnStatus.SUCCEEDED  # the same row, not a second one
    assert TryOn.objects.count() == 1
    text = admin_client.get(reverse("admin:tryon_garment_change", args=[garment.pk])).content
    assert failed.result_image.url in text.decode()


def test_generate_action_without_retry_leaves_failed_ones(
    admin_client, fake, garment, preset, task_queue
):
    fake.fail_next(20001, times=3)
    action(
        admin_client,
        GARMENTS,
        "generate_tryon_previews",
        [garment],
        apply="1",
        model_photos=[str(preset.pk)],
    )
    assert run_queued(task_queue) == [TryOnStatus.FAILED]
    response = action(
        admin_client,
        GARMENTS,
        "generate_tryon_previews",
        [garment],
        apply="1",
        model_photos=[str(preset.pk)],
    )  # "retry failed" unticked
    follow = admin_client.get(response["Location"])
    assert "1 failed earlier (not retried)" in " ".join(messages_of(follow))
    assert not task_queue.results


def test_tryon_admin_retry_failed_action(admin_client, fake, garment, preset, task_queue):
    from tryon import services

    fake.fail_next(10004)
    tryon, _ = services.request_tryon(garment=garment, model_photo=preset)
    run_queued(task_queue)
    response = action(admin_client, "admin:tryon_tryon_changelist", "retry_failed", [tryon])
    assert "1 failed try-on queued again." in " ".join(
        messages_of(admin_client.get(response["Location"]))
    )
    assert run_queued(task_queue) == [TryOnStatus.SUCCEEDED]


def test_restyle_by_prompt_and_save_as_new_preset(admin_client, fake, preset, task_queue):
    page = action(admin_client, "admin:tryon_modelphoto_changelist", "restyle_by_prompt", [preset])
    assert page.status_code == 200
    html = page.content.decode()
    for name in ("prompt", "seed", "guidance_scale", "num_inference_steps"):
        assert f'name="{name}"' in html

    response = action(
        admin_client,
        "admin:tryon_modelphoto_changelist",
        "restyle_by_prompt",
        [preset],
        apply="1",
        prompt="Help the model change into a blue striped shirt.",
        seed="1234",
        guidance_scale="40",
        num_inference_steps="20",
    )
    assert response.status_code == 302
    restyle = TryOn.objects.get()
    assert restyle.source == TryOnSource.STAFF
    assert restyle.garment is None and restyle.prompt.startswith("Help the model")
    assert run_queued(task_queue) == [TryOnStatus.SUCCEEDED]
    [call] = fake.calls("change-clothes-by-prompt")
    assert call.fields["seed"] == "1234"
    assert call.fields["guidance_scale"] in ("40", "40.0")
    assert call.fields["num_inference_steps"] == "20"

    response = action(admin_client, "admin:tryon_tryon_changelist", "save_as_preset", [restyle])
    assert response.status_code == 302
    new = ModelPhoto.objects.exclude(pk=preset.pk).get()
    assert new.is_preset and new.is_active
    assert new.name.startswith("Alex – Help the model")
    restyle.refresh_from_db()
    assert new.image.name != restyle.result_image.name  # a copy, not the shopper-deletable file
    with new.image.open("rb") as handle, restyle.result_image.open("rb") as result:
        assert handle.read() == result.read()
    assert "New preset models" in " ".join(messages_of(admin_client.get(response["Location"])))


def test_restyle_form_validates_ranges(admin_client, preset, task_queue):
    response = action(
        admin_client,
        "admin:tryon_modelphoto_changelist",
        "restyle_by_prompt",
        [preset],
        apply="1",
        prompt="x",
        guidance_scale="500",
        num_inference_steps="0",
    )
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"guidance_scale", "num_inference_steps"}
    assert not TryOn.objects.exists()


def test_save_as_preset_skips_unfinished(admin_client, preset, task_queue):
    from tryon import services

    tryon, _ = services.request_tryon(model_photo=preset, prompt="Red coat", source="staff")
    response = action(admin_client, "admin:tryon_tryon_changelist", "save_as_preset", [tryon])
    assert "no result yet" in " ".join(messages_of(admin_client.get(response["Location"])))
    assert ModelPhoto.objects.count() == 1


def test_garment_admin_pages_still_work_with_the_preview_columns(admin_client, catalogue):
    garments = catalogue["garments"]
    assert admin_client.get(reverse(GARMENTS), {"q": "Red"}).status_code == 200
    assert admin_client.get(reverse("admin:tryon_garment_add")).status_code == 200
    response = action(admin_client, GARMENTS, "delete_selected", garments[:1], post="yes")
    assert response.status_code == 302
    assert not Garment.objects.filter(pk=garments[0].pk).exists()
    assert Garment.objects.filter(pk=garments[1].pk).exists()
