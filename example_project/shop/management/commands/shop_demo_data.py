"""Fill the example shop: products with try-on garments, preset models, an admin login.

Idempotent: what already exists (by product slug, by preset model name) is kept.
Every picture is drawn with Pillow on the spot; nothing is downloaded.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction

from tryon.models import Garment, ModelPhoto

from ...catalogue import MODELS, PRODUCTS, DemoModel, DemoProduct
from ...drawing import draw_garment, draw_person, jpeg_bytes
from ...models import Product


class Command(BaseCommand):
    help = "Create the demo products, their try-on garments, preset models and an admin user."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            for item in PRODUCTS:
                self._product(item)
            for model in MODELS:
                self._model(model)
            self._admin()

    def _product(self, item: DemoProduct) -> None:
        product, created = Product.objects.get_or_create(
            slug=item.slug,
            defaults={"name": item.name, "price": item.price, "description": item.description},
        )
        picture: bytes | None = None
        if not product.image:
            picture = jpeg_bytes(draw_garment(item.look))
            product.image.save(f"{item.slug}.jpg", ContentFile(picture), save=True)
        if Garment.objects.for_product(product).exists():
            self._say(item.name, created, "garment kept")
            return
        garment = Garment(
            name=item.name,
            category=item.category,
            description=item.garment_description,
            product=product,
        )
        picture = picture or jpeg_bytes(draw_garment(item.look))
        garment.image.save(f"{item.slug}.jpg", ContentFile(picture), save=True)
        self._say(item.name, created, "garment added")

    def _model(self, model: DemoModel) -> None:
        if ModelPhoto.objects.filter(is_preset=True, name=model.name).exists():
            self.stdout.write(f"  model {model.name}: kept")
            return
        photo = ModelPhoto(name=model.name, is_preset=True)
        picture = jpeg_bytes(draw_person(model.look))
        photo.image.save(f"{model.name.lower()}.jpg", ContentFile(picture), save=True)
        self.stdout.write(f"  model {model.name}: created")

    def _admin(self) -> None:
        users = get_user_model()
        if users.objects.exists():
            return
        users.objects.create_superuser("admin", "admin@example.com", "admin")
        self.stdout.write(
            self.style.WARNING(
                "Created superuser admin / admin: for this local demo only, never on a "
                "reachable server."
            )
        )

    def _say(self, name: str, created: bool, garment: str) -> None:
        state = "created" if created else "kept"
        self.stdout.write(f"  product {name}: {state}, {garment}")
