"""The demo catalogue: products with their try-on garments, and the preset models."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .drawing import GarmentLook, PersonLook


@dataclass(frozen=True)
class DemoProduct:
    slug: str
    name: str
    price: Decimal
    description: str
    category: str  # tryon Category: upper_body | lower_body | dresses
    garment_description: str  # English, sent to the provider as garmentDesc
    look: GarmentLook


@dataclass(frozen=True)
class DemoModel:
    name: str
    look: PersonLook


PRODUCTS: tuple[DemoProduct, ...] = (
    DemoProduct(
        slug="red-t-shirt",
        name="Red T-shirt",
        price=Decimal("19.00"),
        description="A soft cotton crew-neck T-shirt in a bright red. Regular fit.",
        category="upper_body",
        garment_description="red short-sleeved crew-neck cotton t-shirt",
        look=GarmentLook("tshirt", "#c8323a"),
    ),
    DemoProduct(
        slug="blue-striped-shirt",
        name="Blue striped shirt",
        price=Decimal("45.00"),
        description=(
            "A crisp long-sleeved poplin shirt with blue pinstripes, point collar and chest pocket."
        ),
        category="upper_body",
        garment_description="white long-sleeved button-up shirt with vertical blue stripes",
        look=GarmentLook("shirt", "#f4f7fb", "stripes", "#3b6fb6"),
    ),
    DemoProduct(
        slug="classic-jeans",
        name="Classic jeans",
        price=Decimal("59.00"),
        description="Straight-leg jeans in mid-blue denim with contrast stitching.",
        category="lower_body",
        garment_description="mid-blue straight-leg denim jeans",
        look=GarmentLook("jeans", "#35557f", "denim"),
    ),
    DemoProduct(
        slug="green-skirt",
        name="Green pleated skirt",
        price=Decimal("39.00"),
        description="A knee-length A-line skirt with soft pleats, in forest green.",
        category="lower_body",
        garment_description="green knee-length pleated a-line skirt",
        look=GarmentLook("skirt", "#3e8e55"),
    ),
    DemoProduct(
        slug="yellow-summer-dress",
        name="Yellow summer dress",
        price=Decimal("65.00"),
        description="A light sundress with thin straps, a tie waist and a white polka-dot print.",
        category="dresses",
        garment_description="yellow sleeveless summer dress with white polka dots and thin straps",
        look=GarmentLook("dress", "#f2c94c", "dots", "#ffffff"),
    ),
    DemoProduct(
        slug="black-hoodie",
        name="Black hoodie",
        price=Decimal("55.00"),
        description="A heavyweight fleece hoodie with a kangaroo pocket and ribbed cuffs.",
        category="upper_body",
        garment_description="black pullover hoodie with kangaroo pocket and drawstrings",
        look=GarmentLook("hoodie", "#2a2a2e"),
    ),
)

MODELS: tuple[DemoModel, ...] = (
    DemoModel(
        "Ava", PersonLook("#e9bf9f", "#5a3a22", "long", "#f5f5f2", "#3d4350", "#2b2b2b", "#e9edf1")
    ),
    DemoModel(
        "Ben", PersonLook("#8a5a3c", "#1d1a18", "short", "#d9dcdf", "#24324a", "#3b2a20", "#efece6")
    ),
    DemoModel(
        "Mia", PersonLook("#c98f64", "#2a1d16", "bun", "#dbe7f2", "#1f1f22", "#f2f2f2", "#e8efe9")
    ),
)
