"""The text in an image, read by Tesseract (French and English), for the content rules.

Tesseract runs as a child process (Debian's ``tesseract-ocr`` with ``tesseract-ocr-fra`` and
``-eng``): no Python binding to keep in step with it, and a hard timeout.

Promotion visuals defeat Tesseract's own binarisation: a navy price and a white product name
on a red background are one dark and one light shape on a mid-grey, and a single global
threshold keeps only one of them. So the image is first turned into black text on white by
its distance from the background colour (the most common one): whatever differs from the
background is ink, whatever its polarity. A picture without a dominant background (a photo)
is read a second time as plain grey, and both readings are kept. Small images are enlarged
(Tesseract wants letters 20 pixels high or more), very large ones reduced.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageOps

LANGUAGES = "fra+eng"
TIMEOUT = 60.0
MIN_SIDE = 600  # smaller images are enlarged
MAX_SIDE = 1600  # larger ones reduced: huge letters read worse, and slower
INK_DISTANCE = 40  # how far from the background colour a pixel must be to count as ink
FLAT_SHARE = 0.3  # a background covering less than this: read the plain grey image too
# Tesseract often reads a gap after the decimal separator of large type: "39, 99 €".
_SPLIT_DECIMALS = re.compile(r"(?<=\d)([.,]) (?=\d{2}\b)")


class OcrUnavailable(RuntimeError):
    """Tesseract is not installed, or failed on this image."""


@dataclass(frozen=True)
class Reading:
    text: str


def available() -> bool:
    return shutil.which("tesseract") is not None


def read_text(data: bytes) -> Reading:
    """Every line of text Tesseract finds in the image (first frame of an animation)."""
    if not available():
        raise OcrUnavailable("tesseract is not installed (apt-get install tesseract-ocr)")
    picture = _flattened(data)
    ink, share = _ink_on_white(picture)
    variants = [ink]
    if share < FLAT_SHARE:
        variants.append(ImageOps.autocontrast(picture.convert("L")))
    lines: list[str] = []
    for variant in variants:
        for line in _tesseract(variant).splitlines():
            line = _SPLIT_DECIMALS.sub(r"\1", " ".join(line.split()))
            if line and line not in lines:
                lines.append(line)
    return Reading("\n".join(lines))


def _flattened(data: bytes) -> Image.Image:
    """The first frame, on white, in RGB, at a size Tesseract reads well."""
    with Image.open(io.BytesIO(data)) as image:
        image.seek(0)
        rgba = image.convert("RGBA")
    flat = Image.new("RGBA", rgba.size, "white")
    flat.alpha_composite(rgba)
    picture = flat.convert("RGB")
    short, long = min(picture.size), max(picture.size)
    scale = MIN_SIDE / short if short < MIN_SIDE else min(1.0, MAX_SIDE / long)
    if scale != 1.0:
        size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
        picture = picture.resize(size, Image.Resampling.LANCZOS)
    return picture


def _ink_on_white(picture: Image.Image) -> tuple[Image.Image, float]:
    """Black wherever the picture differs from its background colour, white elsewhere; and
    the share of the picture that background covers."""
    sample = picture.resize((64, 64), Image.Resampling.NEAREST)
    colours = sample.getcolors(64 * 64) or [(1, (255, 255, 255))]
    count, background = max(colours, key=lambda c: c[0])
    plain = Image.new("RGB", picture.size, tuple(background))  # type: ignore[arg-type]
    distance = ImageChops.difference(picture, plain).convert("L")
    ink = distance.point(lambda v: 0 if v > INK_DISTANCE else 255)
    return ink, count / (64 * 64)


def _one_thread() -> dict[str, str]:
    """Tesseract's environment: one OpenMP thread. Its default of several threads per image
    spins while they wait, and workers read several images at once: measured here, one
    thread read the same six images in 3.1 s of CPU against 6.0 (and sooner)."""
    return {**os.environ, "OMP_THREAD_LIMIT": "1"}


def _tesseract(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    try:
        done = subprocess.run(  # noqa: S603 - a fixed program and arguments, no shell
            ["tesseract", "stdin", "stdout", "-l", LANGUAGES, "--psm", "3"],  # noqa: S607
            input=buffer.getvalue(),
            capture_output=True,
            timeout=TIMEOUT,
            check=False,
            env=_one_thread(),
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise OcrUnavailable(f"tesseract failed: {type(exc).__name__}") from None
    if done.returncode != 0:
        raise OcrUnavailable("tesseract failed on this image")
    return done.stdout.decode("utf-8", "replace")
