"""Demo pictures drawn at run time with Pillow: garments and preset model photos."""

from .canvas import jpeg_bytes
from .garments import GarmentLook, draw_garment
from .people import PersonLook, draw_person

__all__ = ["GarmentLook", "PersonLook", "draw_garment", "draw_person", "jpeg_bytes"]
