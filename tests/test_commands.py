"""tryon_run and tryon_check, as an operator runs them."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from PIL import Image

from tests import images
from tests.conftest import API_KEY


@pytest.fixture
def photos(tmp_path: Path) -> tuple[Path, Path]:
    model = tmp_path / "person.jpg"
    model.write_bytes(images.gps_exif_jpeg())
    garment = tmp_path / "shirt.png"
    garment.write_bytes(images.garment_photo("upper_body"))
    return model, garment


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("tryon_run", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_offline_backend_writes_a_real_image(offline, photos, tmp_path):
    model, garment = photos
    target = tmp_path / "out.jpg"
    stdout, _ = run(
        "--model",
        str(model),
        "--garment",
        str(garment),
        "--category",
        "upper_body",
        "--out",
        str(target),
    )
    assert "offline preview" in stdout
    with Image.open(target) as picture:
        assert picture.format == "JPEG"
        assert picture.size[0] >= 256


def test_file_parts_reach_the_provider_as_documented(fake, photos, tmp_path):
    model, garment = photos
    target = tmp_path / "out.webp"
    run(
        "--model",
        str(model),
        "--garment",
        str(garment),
        "--category",
        "lower_body",
        "--description",
        "Blue jeans",
        "--out",
        str(target),
        "--mask-out",
        str(tmp_path / "mask.webp"),
    )
    [call] = fake.calls()
    assert call.path == "/api/openapi/change-clothes-ai"
    assert call.headers["authorization"] == f"Bearer {API_KEY}"
    assert call.fields == {"category": "lower_body", "garmentDesc": "Blue jeans"}
    assert set(call.files) == {"modelImg", "garmentImg"}
    sent_model = call.files["modelImg"].content
    assert b"GPS" not in sent_model and not Image.open(io.BytesIO(sent_model)).getexif()
    assert Image.open(target).format == "WEBP"
    assert Image.open(tmp_path / "mask.webp").format == "WEBP"


def test_urls_are_sent_as_url_strings(fake, tmp_path):
    target = tmp_path / "out.webp"
    run(
        "--model",
        "https://shop.example/person.jpg",
        "--garment",
        "http://shop.example/shirt.png",
        "--category",
        "upper_body",
        "--out",
        str(target),
    )
    [call] = fake.calls()
    assert call.fields["modelImg"] == "https://shop.example/person.jpg"
    assert call.fields["garmentImg"] == "http://shop.example/shirt.png"
    assert call.files == {}
    assert "garmentDesc" not in call.fields


def test_data_uris_are_sent_as_strings(fake, photos, tmp_path):
    model, garment = photos
    run(
        "--model",
        str(model),
        "--garment",
        str(garment),
        "--category",
        "dresses",
        "--inline",
        "data-uri",
        "--out",
        str(tmp_path / "out.webp"),
    )
    [call] = fake.calls()
    for field in ("modelImg", "garmentImg"):
        value = call.fields[field]
        assert value.startswith("data:image/jpeg;base64,")
        decoded = base64.b64decode(value.split(",", 1)[1])
        assert Image.open(io.BytesIO(decoded)).format == "JPEG"


def test_prompt_form(fake, photos, tmp_path):
    model, _ = photos
    stdout, _ = run(
        "--model",
        str(model),
        "--prompt",
        "Help the model change into a red coat.",
        "--seed",
        "42",
        "--guidance-scale",
        "30",
        "--num-inference-steps",
        "12",
        "--out",
        str(tmp_path / "out.webp"),
    )
    [call] = fake.calls()
    assert call.path == "/api/openapi/change-clothes-by-prompt"
    assert call.fields["prompt"] == "Help the model change into a red coat."
    assert call.fields["seed"] == "42"
    assert call.fields["num_inference_steps"] == "12"
    assert float(call.fields["guidance_scale"]) == 30
    assert "seed 42" in stdout


def test_provider_error_is_one_clear_line_and_no_file(fake, photos, tmp_path):
    model, garment = photos
    fake.fail_always(10003)
    target = tmp_path / "out.webp"
    with pytest.raises(CommandError) as caught:
        run(
            "--model",
            str(model),
            "--garment",
            str(garment),
            "--category",
            "upper_body",
            "--out",
            str(target),
        )
    message = str(caught.value)
    assert message.startswith("insufficient credits (10003):")
    assert "\n" not in message
    assert API_KEY not in message
    assert not target.exists()
    assert list(tmp_path.glob(".tryon-*")) == []


def test_not_an_image_is_refused_before_any_call(fake, tmp_path):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("hello")
    with pytest.raises(CommandError, match="--model"):
        run("--model", str(bogus), "--prompt", "x", "--out", str(tmp_path / "o.webp"))
    assert fake.calls() == []


def test_out_of_range_parameter_is_refused_before_any_call(fake, photos, tmp_path):
    model, _ = photos
    with pytest.raises(CommandError, match=r"num_inference_steps|steps"):
        run(
            "--model",
            str(model),
            "--prompt",
            "x",
            "--num-inference-steps",
            "51",
            "--out",
            str(tmp_path / "o.webp"),
        )
    assert fake.calls() == []


def test_garment_and_prompt_together_are_refused(photos, tmp_path):
    model, garment = photos
    with pytest.raises(CommandError, match="either --garment"):
        run(
            "--model",
            str(model),
            "--garment",
            str(garment),
            "--prompt",
            "x",
            "--out",
            str(tmp_path / "o"),
        )


def test_missing_file_names_the_option(tmp_path):
    with pytest.raises(CommandError, match="--garment: no such file"):
        run(
            "--model",
            "https://x.example/a.jpg",
            "--garment",
            str(tmp_path / "nope.png"),
            "--category",
            "upper_body",
            "--out",
            str(tmp_path / "o"),
        )


def test_tryon_check_passes_and_never_prints_the_key(fake):
    out, err = io.StringIO(), io.StringIO()
    call_command("tryon_check", stdout=out, stderr=err)
    assert "configuration OK" in out.getvalue()
    assert "API key: set" in out.getvalue()
    assert API_KEY not in out.getvalue() + err.getvalue()


def test_tryon_check_fails_naming_the_setting(monkeypatch):
    monkeypatch.delenv("TRYON_API_KEY", raising=False)
    out, err = io.StringIO(), io.StringIO()
    with override_settings(TRYON={"API_KEY": None, "STORAGE": "nope"}):
        with pytest.raises(CommandError, match="configuration error"):
            call_command("tryon_check", stdout=out, stderr=err)
    assert "tryon.E004" in err.getvalue() and "TRYON['API_KEY']" in err.getvalue()
    assert "tryon.E006" in err.getvalue() and "TRYON['STORAGE']" in err.getvalue()


MAGIC = {
    ".jpg": b"\xff\xd8\xff",
    ".jpeg": b"\xff\xd8\xff",
    ".JPG": b"\xff\xd8\xff",
    ".png": b"\x89PNG\r\n\x1a\n",
    ".webp": b"RIFF",
}


@pytest.mark.parametrize("backend", ["fake", "offline"])
@pytest.mark.parametrize("suffix", list(MAGIC))
def test_out_is_written_in_the_format_its_suffix_names(request, backend, suffix, photos, tmp_path):
    request.getfixturevalue(backend)
    model, garment = photos
    target = tmp_path / f"result{suffix}"
    run(
        "--model",
        str(model),
        "--garment",
        str(garment),
        "--category",
        "upper_body",
        "--out",
        str(target),
    )
    content = target.read_bytes()
    assert content.startswith(MAGIC[suffix])
    if suffix == ".webp":
        assert content[8:12] == b"WEBP"
    with Image.open(target) as picture:
        assert picture.size[0] >= 256


def test_mask_out_is_written_in_its_own_format(fake, photos, tmp_path):
    model, garment = photos
    run(
        "--model",
        str(model),
        "--garment",
        str(garment),
        "--category",
        "upper_body",
        "--out",
        str(tmp_path / "result.jpg"),
        "--mask-out",
        str(tmp_path / "mask.png"),
    )
    assert (tmp_path / "result.jpg").read_bytes().startswith(MAGIC[".jpg"])
    assert (tmp_path / "mask.png").read_bytes().startswith(MAGIC[".png"])


@pytest.mark.parametrize(
    ("option", "name"),
    [
        ("--out", "result.gif"),
        ("--out", "result.txt"),
        ("--out", "result"),
        ("--mask-out", "m.bmp"),
    ],
)
def test_a_suffix_that_cannot_be_written_is_refused_before_any_call(
    fake, photos, tmp_path, option, name
):
    model, _ = photos
    paths = {"--out": str(tmp_path / "result.webp"), "--mask-out": str(tmp_path / "mask.png")}
    paths[option] = str(tmp_path / name)
    with pytest.raises(CommandError) as caught:
        run("--model", str(model), "--prompt", "x", *[x for pair in paths.items() for x in pair])
    message = str(caught.value)
    assert message.startswith(f"{option} {tmp_path / name} has ")
    assert ".jpg, .jpeg, .png, .webp" in message
    assert fake.calls() == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["person.jpg", "shirt.png"]


def test_lower_garment_completes_the_look_with_two_chained_calls(fake, photos, tmp_path):
    model, garment = photos
    jeans = tmp_path / "jeans.png"
    jeans.write_bytes(images.garment_photo("lower_body"))
    target = tmp_path / "outfit.png"
    run(
        "--model", str(model), "--garment", str(garment), "--category", "upper_body",
        "--lower-garment", str(jeans), "--lower-description", "Blue jeans", "--out", str(target),
    )  # fmt: skip
    first, second = fake.calls()
    assert first.fields["category"] == "upper_body"
    assert second.fields == {"category": "lower_body", "garmentDesc": "Blue jeans"}
    # The second call dresses the first call's picture (the fake's first result).
    sent = second.files["modelImg"].content
    assert sent != first.files["modelImg"].content
    assert sent in list(fake.results.values())
    assert Image.open(target).format == "PNG"


def test_lower_garment_needs_an_upper_body_garment(fake, photos, tmp_path):
    model, garment = photos
    with pytest.raises(CommandError, match="completes an upper-body"):
        run(
            "--model", str(model), "--garment", str(garment), "--category", "dresses",
            "--lower-garment", str(garment), "--out", str(tmp_path / "x.jpg"),
        )  # fmt: skip
    assert fake.calls() == []
