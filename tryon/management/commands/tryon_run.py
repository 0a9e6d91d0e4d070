"""One try-on through the configured backend, written to a file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...backends import BackendResult, get_backend
from ...exceptions import DownloadError, ProviderError, TryOnError
from ...models import Category
from ._inputs import image_argument
from ._output import OUTPUT_FORMATS, convert, output_format, write_atomically


class Command(BaseCommand):
    help = (
        "Run one try-on through TRYON['BACKEND'] and write the picture to --out. "
        "Garment mode: --model --garment --category. Prompt mode: --model --prompt. "
        "Complete the look: also --lower-garment (the first garment then upper_body): two "
        "chained calls, the second dressing the first one's picture."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--model", required=True, help="person photo: path, URL or data URI")
        parser.add_argument("--garment", help="garment photo: path, URL or data URI")
        parser.add_argument("--category", choices=[c.value for c in Category])
        parser.add_argument("--description", default="", help="English garment description")
        parser.add_argument(
            "--lower-garment",
            help="complete the look: a lower-body garment put on the first call's picture",
        )
        parser.add_argument("--lower-description", default="", help="its English description")
        parser.add_argument("--prompt", help="English instruction (prompt mode)")
        parser.add_argument("--seed", type=int)
        parser.add_argument("--randomize-seed", action="store_true")
        parser.add_argument("--guidance-scale", type=float)
        parser.add_argument("--num-inference-steps", type=int)
        parser.add_argument(
            "--inline",
            choices=["file", "data-uri"],
            default="file",
            help="send local files as multipart file parts (default) or as data URIs",
        )
        suffixes = "/".join(OUTPUT_FORMATS)
        parser.add_argument(
            "--mask-out", help=f"also write the mask image here ({suffixes}: its format)"
        )
        parser.add_argument(
            "--out", required=True, help=f"where to write the result ({suffixes}: its format)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        prompt_mode = options["prompt"] is not None
        if prompt_mode == (options["garment"] is not None):
            raise CommandError("Give either --garment (with --category) or --prompt, not both.")
        if not prompt_mode and not options["category"]:
            raise CommandError("--category is required with --garment.")
        outfit = options["lower_garment"] is not None
        if outfit and (prompt_mode or options["category"] != Category.UPPER_BODY):
            raise CommandError(
                "--lower-garment completes an upper-body --garment (--category upper_body); "
                "a dress does not combine."
            )
        inline = options["inline"]
        model = image_argument(options["model"], "--model", inline=inline)
        garment = (
            None if prompt_mode else image_argument(options["garment"], "--garment", inline=inline)
        )
        # Refused before any (paid) call: a file of the wrong format, or none at all.
        out = Path(options["out"])
        out_format = output_format(out, "--out")
        mask_out = Path(options["mask_out"]) if options["mask_out"] else None
        mask_format = output_format(mask_out, "--mask-out") if mask_out else ""
        try:
            backend = get_backend()
            if prompt_mode:
                result = backend.change_clothes_by_prompt(
                    model_image=model,
                    prompt=options["prompt"],
                    seed=options["seed"],
                    randomize_seed=True if options["randomize_seed"] else None,
                    guidance_scale=options["guidance_scale"],
                    num_inference_steps=options["num_inference_steps"],
                )
            else:
                assert garment is not None
                result = backend.change_clothes(
                    model_image=model,
                    garment_image=garment,
                    category=options["category"],
                    description=options["description"],
                )
            if outfit:  # the second call dresses the first call's picture
                lower = image_argument(options["lower_garment"], "--lower-garment", inline=inline)
                result = backend.change_clothes(
                    model_image=_content(backend, result.image),
                    garment_image=lower,
                    category=Category.LOWER_BODY,
                    description=options["lower_description"],
                )
            write_atomically(out, convert(_content(backend, result.image), out_format))
            if mask_out is not None and result.mask is not None:
                write_atomically(mask_out, convert(_content(backend, result.mask), mask_format))
        except ProviderError as exc:
            raise CommandError(exc.describe()) from exc
        except DownloadError as exc:
            raise CommandError(f"result download failed: {exc}") from exc
        except TryOnError as exc:
            raise CommandError(str(exc)) from exc
        self._report(out, result)

    def _report(self, out: Path, result: BackendResult) -> None:
        notes = []
        if result.is_preview:
            notes.append("offline preview, not AI")
        if result.seed is not None:
            notes.append(f"seed {result.seed}")
        if result.cache_hit:
            notes.append("provider cache hit")
        suffix = f" ({', '.join(notes)})" if notes else ""
        self.stdout.write(self.style.SUCCESS(f"Wrote {out}{suffix}"))


def _content(backend: Any, image: Any) -> bytes:
    return image.content if image.content is not None else backend.download(image.url)
