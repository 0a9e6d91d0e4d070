"""Results are downloaded only from the provider: its hosts, public addresses, checked redirects."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from django.test import override_settings

from tests import images
from tests.conftest import API_KEY
from tryon.backends import get_backend
from tryon.backends.changeclothes import ChangeClothesBackend
from tryon.backends.urls import host_allowed, is_public_address
from tryon.conf import DEFAULTS
from tryon.exceptions import DownloadError, TryOnConfigurationError
from tryon.testing import FakeChangeClothesServer

API = "https://api.example.com"
MODEL = images.person_photo()


def backend_for(
    handler: Callable[[httpx.Request], httpx.Response] | None = None,
    base_url: str = API,
    **options: Any,
) -> ChangeClothesBackend:
    given = {"API_KEY": API_KEY, "API_BASE_URL": base_url, "MAX_RETRIES": 0, **options}
    transport = httpx.MockTransport(handler) if handler is not None else None
    return ChangeClothesBackend(given, transport=transport)


def serving(seen: list[str], routes: dict[str, httpx.Response] | None = None) -> Any:
    """A handler that records each URL and answers from ``routes`` (else an image)."""

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return (routes or {}).get(str(request.url), httpx.Response(200, content=b"image"))

    return handler


def resolver(table: dict[str, list[str]]) -> Callable[[str, int], list[Any]]:
    def resolve(host: str, port: int) -> list[Any]:
        if host not in table:
            raise OSError(f"no such host: {host}")
        return [ipaddress.ip_address(address) for address in table[host]]

    return resolve


# -- host names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "allowed", "expected"),
    [
        ("r2.changeclothesai.online", ["r2.changeclothesai.online"], True),
        ("R2.ChangeClothesAI.online.", ["r2.changeclothesai.online"], True),
        ("cdn.example.com", [".example.com"], True),
        ("example.com", [".example.com"], True),
        ("evilexample.com", [".example.com"], False),
        ("example.com.evil.net", ["example.com"], False),
        ("sub.example.com", ["example.com"], False),
        ("", [""], False),
    ],
)
def test_host_names_are_compared_exactly(host: str, allowed: list[str], expected: bool) -> None:
    assert host_allowed(host, allowed) is expected


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),
        ("10.0.0.5", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("64:ff9b::a00:5", False),  # NAT64 of 10.0.0.5
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
    ],
)
def test_public_addresses(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public


def test_the_documented_result_hosts_are_the_default() -> None:
    assert set(DEFAULTS["RESULT_HOSTS"]) == {
        "persistent.changeclothesai.online",
        "r2.changeclothesai.online",
    }


# -- which hosts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"{API}/results/r.webp",
        "https://persistent.changeclothesai.online/tryon/1747493767397255851.webp",
        "https://r2.changeclothesai.online/mask/1747493770543821630.webp",
    ],
)
def test_the_api_host_and_result_hosts_are_downloaded(url: str) -> None:
    seen: list[str] = []
    with backend_for(serving(seen)) as backend:
        assert backend.download(url) == b"image"
    assert seen == [url]


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:6379/",
        "http://localhost/x.webp",
        "https://changeclothesai.online.evil.net/r.webp",
        "https://user:pass@internal.example.org/r.webp",
    ],
)
def test_any_other_host_is_refused_unrequested(url: str) -> None:
    seen: list[str] = []
    with backend_for(serving(seen)) as backend, pytest.raises(DownloadError, match="RESULT_HOSTS"):
        backend.download(url)
    assert seen == []


def test_result_hosts_is_a_setting_and_a_backend_option() -> None:
    seen: list[str] = []
    with override_settings(TRYON={"RESULT_HOSTS": [".cdn.example.net"]}):
        with backend_for(serving(seen)) as backend:
            assert backend.download("https://eu.cdn.example.net/r.webp") == b"image"
            with pytest.raises(DownloadError):
                backend.download("https://r2.changeclothesai.online/r.webp")  # replaced
    path = "tryon.backends.changeclothes.ChangeClothesBackend"
    tryon = {
        "BACKEND": path,
        "API_KEY": API_KEY,
        "API_BASE_URL": API,
        "BACKEND_OPTIONS": {path: {"RESULT_HOSTS": ["img.example.org"]}},
    }
    with override_settings(TRYON=tryon):
        assert get_backend().result_hosts == ("api.example.com", "img.example.org")


@pytest.mark.parametrize("value", ["r2.changeclothesai.online", [3], {"a": 1}])
def test_a_malformed_result_hosts_is_a_configuration_error(value: object) -> None:
    with pytest.raises(TryOnConfigurationError, match="RESULT_HOSTS"):
        backend_for(serving([]), RESULT_HOSTS=value).configure()


# -- redirects ------------------------------------------------------------------------------


def redirect(to: str, status: int = 302) -> httpx.Response:
    return httpx.Response(status, headers={"Location": to})


def test_a_redirect_to_a_result_host_is_followed() -> None:
    seen: list[str] = []
    first = f"{API}/results/r.webp"
    final = "https://r2.changeclothesai.online/r.webp"
    with backend_for(serving(seen, {first: redirect(final, 301)})) as backend:
        assert backend.download(first) == b"image"
    assert seen == [first, final]


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:8080/admin",
        "file:///etc/passwd",
    ],
)
def test_a_redirect_elsewhere_is_refused_unrequested(target: str) -> None:
    seen: list[str] = []
    first = f"{API}/results/r.webp"
    with backend_for(serving(seen, {first: redirect(target)})) as backend:
        with pytest.raises(DownloadError, match=r"RESULT_HOSTS|http"):
            backend.download(first)
    assert seen == [first]


def test_redirects_are_bounded() -> None:
    seen: list[str] = []
    routes = {f"{API}/r{n}": redirect(f"{API}/r{n + 1}") for n in range(10)}
    with backend_for(serving(seen, routes)) as backend:
        with pytest.raises(DownloadError, match="redirects"):
            backend.download(f"{API}/r0")
    assert len(seen) == 4  # the URL and three redirects


# -- addresses (real sockets: no injected transport) ----------------------------------------


@pytest.fixture
def fake() -> Iterator[FakeChangeClothesServer]:
    with FakeChangeClothesServer(api_key=API_KEY) as server:
        yield server


@pytest.mark.parametrize(
    "addresses",
    [["127.0.0.1"], ["93.184.216.34", "127.0.0.1"], ["10.0.0.5"], ["::ffff:127.0.0.1"]],
)
def test_a_result_host_on_a_private_address_is_refused_unrequested(
    fake: FakeChangeClothesServer, addresses: list[str]
) -> None:
    backend = backend_for(base_url=API, RESULT_HOSTS=["results.example.com"])
    backend.resolve_addresses = resolver(  # type: ignore[method-assign]
        {"api.example.com": ["93.184.216.34"], "results.example.com": addresses}
    )
    fake.clear_requests()
    with backend, pytest.raises(DownloadError, match="private, loopback"):
        backend.download(f"http://results.example.com:{fake.port}/results/r.webp")
    assert fake.requests == []


def test_a_host_that_does_not_resolve_is_refused(fake: FakeChangeClothesServer) -> None:
    backend = backend_for(base_url=API, RESULT_HOSTS=["gone.example.com"])
    backend.resolve_addresses = resolver({"api.example.com": ["93.184.216.34"]})  # type: ignore[method-assign]
    with backend, pytest.raises(DownloadError, match="could not be resolved"):
        backend.download("https://gone.example.com/r.webp")


def test_an_api_on_loopback_may_serve_results_from_loopback(
    fake: FakeChangeClothesServer,
) -> None:
    # The test fake's case (and an in-house gateway's): the API itself is private.
    with backend_for(base_url=fake.base_url, RESULT_HOSTS=["localhost"]) as backend:
        image = backend.change_clothes_by_prompt(model_image=MODEL, prompt="A red coat.").image.url
        assert backend.download(image)[:4] == b"RIFF"
        other_name = image.replace("127.0.0.1", "localhost")
        assert backend.download(other_name)[:4] == b"RIFF"
