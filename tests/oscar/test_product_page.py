"""The shop's product page with the widget (the documented override), and the set-up checks."""

from __future__ import annotations

import re
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("oscar")

import oscar
from django.core.management import call_command
from django.test import override_settings

from tests.oscar.shop import RED, product_with_image
from tryon.contrib.oscar import checks
from tryon.contrib.oscar.pictures import follow_product_picture
from tryon.contrib.oscar.products import link_to_product
from tryon.models import Garment

pytestmark = [pytest.mark.oscar, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
OVERRIDE = Path(__file__).resolve().parent / "templates" / "oscar" / "catalogue" / "detail.html"


def garment_for(product: Any, name: str = "Tee", **fields: Any) -> Garment:
    garment = Garment(name=name, **fields)
    link_to_product(garment, product)
    follow_product_picture(garment, product)
    return garment


def test_the_product_page_has_the_widget_next_to_the_basket_form(client: Any) -> None:
    product = product_with_image("Red tee", color=RED, price=Decimal("19.90"), num_in_stock=5)
    garment = garment_for(product)

    html = client.get(product.get_absolute_url()).content.decode()
    assert f'data-garment="{garment.pk}"' in html
    assert "Try it on" in html
    assert "tryon/widget.js" in html
    basket_form = html.index('id="add_to_basket_form"')
    assert basket_form < html.index("data-tryon-widget") < html.index("Product Information")


def test_no_widget_without_an_active_garment(client: Any) -> None:
    product = product_with_image("Plain mug", color=RED)
    assert "data-tryon-widget" not in client.get(product.get_absolute_url()).content.decode()

    garment_for(product, is_active=False)
    assert "data-tryon-widget" not in client.get(product.get_absolute_url()).content.decode()


def test_a_variant_page_uses_its_parents_garment(client: Any) -> None:
    parent = product_with_image("Tee", color=RED, structure="parent")
    child = product_with_image("Tee, size M", color=RED, parent=parent)
    garment = garment_for(parent)

    html = client.get(child.get_absolute_url()).content.decode()
    assert f'data-garment="{garment.pk}"' in html
    html = client.get(parent.get_absolute_url()).content.decode()
    assert f'data-garment="{garment.pk}"' in html  # the parent page, beside its variants


def test_the_shopper_flow_works_against_an_oscar_product(client: Any, task_queue: Any) -> None:
    from tests.conftest import run_queued
    from tests.oscar.shop import preset

    product = product_with_image("Red tee", color=RED)
    garment = garment_for(product)
    model = preset("Alex")

    created = client.post(
        "/tryon/api/tryons/", {"garment": garment.pk, "model_photo": str(model.pk)}
    )
    assert created.status_code == 202, created.content
    run_queued(task_queue)
    answer = client.get(created["Location"]).json()
    assert answer["status"] == "succeeded" and answer["result_url"]


def test_the_documented_override_is_the_one_tested() -> None:
    docs = (ROOT / "docs" / "oscar.md").read_text()
    blocks = re.findall(r"```django\n(.*?)```", docs, flags=re.S)
    assert OVERRIDE.read_text() in blocks


# -- set-up checks -------------------------------------------------------------------------


def test_the_set_up_passes_its_checks() -> None:
    assert checks.check_navigation() == []
    assert checks.check_product_page() == []


def test_a_missing_menu_entry_is_reported(settings: Any) -> None:
    settings.OSCAR_DASHBOARD_NAVIGATION = [
        entry for entry in settings.OSCAR_DASHBOARD_NAVIGATION if "Try-on" not in str(entry)
    ]
    assert [message.id for message in checks.check_navigation()] == ["tryon_oscar.W001"]


def test_oscars_own_product_page_template_is_reported(settings: Any) -> None:
    oscar_templates = Path(oscar.__file__).resolve().parent / "templates"
    only_oscar = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [str(oscar_templates)],
            "APP_DIRS": False,
        }
    ]
    with override_settings(TEMPLATES=only_oscar):
        assert [message.id for message in checks.check_product_page()] == ["tryon_oscar.W002"]


def test_the_migrations_match_the_models() -> None:
    out = StringIO()
    call_command("makemigrations", "tryon_oscar", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
