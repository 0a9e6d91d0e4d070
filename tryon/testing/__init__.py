"""A local, faithful fake of the Change Clothes AI API, for tests (ours and the shop's).

``FakeChangeClothesServer`` is a real HTTP server on ``127.0.0.1`` (an ephemeral port, a
background thread) that speaks the provider's wire format as documented: both POST
endpoints, Bearer authentication, ``multipart/form-data`` with every field validated,
WebP results served from its own ``/results/`` URLs. It records each request and can be
told to be slow, to fail with any documented code, to answer garbage, or to hang up.

Use it in a shop's own tests::

    from django.test import override_settings
    from tryon.testing import FakeChangeClothesServer

    def test_try_on_page(client):
        with FakeChangeClothesServer(api_key="test-key") as fake:
            with override_settings(TRYON={
                "API_BASE_URL": fake.base_url,
                "API_KEY": fake.api_key,
                "RETRY_BACKOFF": 0,
            }):
                ...  # run the try-on (e.g. the task) as the shop does
            assert fake.call_count == 1
            assert fake.calls()[0].fields["category"] == "upper_body"

            fake.fail_next(10003)  # the next call: out of credits
            fake.fail_always(500, style="status")  # every call: HTTP 500
            fake.reset_failures()

Decisions the provider's document leaves open, as this fake implements them:

- Errors are answered in the *body* by default (HTTP 200 with ``{"code": N, "msg": ...}``),
  as the document's examples show codes in the body. ``error_style="status"`` (or
  ``style="status"`` on ``fail_next``) answers the same JSON under an HTTP error status:
  the code itself when it is an HTTP status (500), else 10001/10002/30001/30002 -> 401,
  10003/10006 -> 402, 10004 -> 400, 10005 -> 422, 20001 -> 500 (``status_for_code``).
- A missing or non-Bearer ``Authorization`` is 10001 NOT_LOGIN; a wrong key is 30001
  INVALID_API_KEY. Authentication is checked before the fields.
- The fake is strict, so that a client's mistakes show up in tests: an unknown field, a
  field sent twice, a text field sent as a file, an empty ``garmentDesc`` (the document
  says to omit it) and a body that is not ``multipart/form-data`` are all 10004
  INVALID_PARAM. The reason is kept in ``RecordedRequest.error``.
- An image field is accepted as an http(s) URL (not fetched), a ``data:image/...;base64``
  URI that Pillow can decode, or a file part that Pillow can decode.
- Queued behaviours (``fail_next``, ``fail_next_non_json``, ``respond_next``,
  ``drop_connection_next``, ``hang_next``) are consumed in order, one per API call,
  before authentication; every API call, failed or not, is recorded.

Modules: ``server`` (the server, its records and knobs), ``wire`` (paths, fields, limits
and codes as the document gives them), ``multipart`` (reading the body), ``validation``
(checking each field), ``answers`` (error and success bodies), ``records`` (what is kept
of each request) and ``images`` (the generated result pictures). The fake imports nothing
from the backend it checks (``tryon.backends``), nor Django.
"""

from __future__ import annotations

from .answers import Style
from .records import RecordedFile, RecordedHeaders, RecordedRequest
from .server import FakeChangeClothesServer
from .wire import (
    CHANGE_CLOTHES_BY_PROMPT_PATH,
    CHANGE_CLOTHES_PATH,
    ERROR_MESSAGES,
    status_for_code,
)

__all__ = [
    "CHANGE_CLOTHES_BY_PROMPT_PATH",
    "CHANGE_CLOTHES_PATH",
    "ERROR_MESSAGES",
    "FakeChangeClothesServer",
    "RecordedFile",
    "RecordedHeaders",
    "RecordedRequest",
    "Style",
    "status_for_code",
]
