"""The OpenAPI schema tells the truth: schemathesis against the app, in process (WSGI).

Bounded and deterministic: a few dozen generated requests per operation (schema-valid
and schema-invalid ones), derandomised, with every built-in response check. Requests
carry a CSRF token, so that POST and DELETE reach validation instead of stopping at the
CSRF check. Ids in the schema are only "an integer" or "a UUID": which rows exist it
cannot say, so schema-valid requests get the shop's real garment and model (``real_rows``) and a
real photo, and must then be accepted.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")
pytest.importorskip("drf_spectacular")

from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.test import override_settings  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.configuration import set_hypothesis_home_dir  # noqa: E402

from tests import images  # noqa: E402
from tests.conftest import make_garment, make_model_photo  # noqa: E402

pytestmark = pytest.mark.django_db(transaction=True)

# Hypothesis caches what it learns in ./.hypothesis: keep the checkout clean.
_HYPOTHESIS_HOME = tempfile.mkdtemp(prefix="tryon-hypothesis-")
set_hypothesis_home_dir(_HYPOTHESIS_HOME)
atexit.register(shutil.rmtree, _HYPOTHESIS_HOME, ignore_errors=True)

SCHEMA_URL = "/tryon/api/schema/"
CSRF_TOKEN = "SchemathesisCsrfToken0123456789a"  # Django's format: 32 letters and digits
HEADERS = {"X-CSRFToken": CSRF_TOKEN}
COOKIES = {"csrftoken": CSRF_TOKEN}
TRYON = {
    "BACKEND": "tryon.backends.local.LocalPreviewBackend",  # never a provider
    "SHOPPER_PROMPTS": True,  # the schema offers prompt mode: let every caller use it
    # The rates are not what is checked here (429 is documented and tested elsewhere).
    "BURST_RATE": "100000/min",
    "DAILY_RATE": "100000/day",
}
# Every uploaded file is a real photo (which rows exist and what a decodable photo is, the
# schema cannot say; hostile files have tests of their own: tests/test_hostile_*.py).
schemathesis.openapi.format("binary", st.just(images.person_photo()))

# Two limits of schemathesis 4.32 worked around: its coverage phase cannot judge a
# multipart body holding a file ("Unsupported type: 'Binary'"), so the upload endpoint
# gets the fuzzing phase only; and literals it lifts from our source ("0.1.0") are put
# into single fields of schema-valid bodies without re-checking the object's "oneOf"
# (a garment plus a prompt), which made valid-labelled requests that are not.
CONFIG = schemathesis.config.SchemathesisConfig.from_dict(
    {
        "analysis": {"constants": {"enabled": False}},
        "operations": [
            {
                "include-path": "/tryon/api/tryons/",
                "include-method": "POST",
                "phases": {"coverage": {"enabled": False}},
            }
        ],
    }
)
# Loaded at collection (the schema view needs no database).
schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, WSGIHandler(), config=CONFIG)


@pytest.fixture
def shop(db: Any, task_queue: Any) -> Any:
    """A garment and a preset model, for schema-valid requests to name."""
    with override_settings(TRYON=TRYON):
        yield {
            "garment": make_garment().pk,
            "garments": [make_garment("upper_body").pk, make_garment("lower_body").pk],
            "model_photo": str(make_model_photo().pk),
        }


def real_rows(case: Any, shop: dict[str, Any]) -> None:
    """Point a schema-valid request's ids at rows that exist."""
    body = case.body
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    if isinstance(body, dict):
        for name in ("garment", "garments", "model_photo"):
            if body.get(name) is not None and not isinstance(body[name], bool):
                body[name] = shop[name]
        if "accept_warnings" in body:
            # The photo check's warnings about a photo's content (no person in a generated
            # picture) are no schema matter: a valid request accepts them.
            body["accept_warnings"] = True
    if "id" in (case.path_parameters or {}) and case.path.startswith("/tryon/api/garments/"):
        case.path_parameters["id"] = shop["garment"]


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_conforms_to_its_schema(case: Any, shop: dict[str, Any]) -> None:
    real_rows(case, shop)
    with override_settings(TRYON=TRYON):
        case.call_and_validate(headers=HEADERS, cookies=COOKIES)
