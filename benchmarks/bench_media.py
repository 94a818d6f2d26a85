"""Benchmark images: upload work per 1080x1080 visual, the rule check with 4 images, and the
recall of wrong prices read in generated promotion visuals.

1. Per image (the generated promotion visuals of ``promo_visuals.py``, as PNG and as JPEG
   with camera metadata): type detection and decoding check (``inspect``), metadata
   stripping, SHA-256, and Tesseract OCR (fra+eng), each timed; OCR is what a worker does
   off the request path.
2. The added time of the full rule check (``config/rules.toml`` and the shipped catalogue)
   for a post with 4 images whose text is known, against the same post without images.
3. Recall: each visual's text read, then checked; how many wrong prices were caught, and how
   many right ones were blocked (docs/rules.md publishes these figures).

    python benchmarks/bench_media.py [--images 8] [--checks 300] [--recall]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.promo_visuals import visuals  # noqa: E402
from postgate.media import images, ocr  # noqa: E402
from postgate.platforms.registry import MASTODON  # noqa: E402
from rules import Context, Draft, DraftImage, load_ruleset  # noqa: E402


def _jpeg_with_exif(png: bytes) -> bytes:
    exif = Image.Exif()
    exif[0x010F], exif[0x013B], exif[0xA431] = "Canon", "Photographer", "SN-1234"
    out = io.BytesIO()
    Image.open(io.BytesIO(png)).convert("RGB").save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


def _ms(seconds: list[float]) -> str:
    values = sorted(seconds)
    return f"median {statistics.median(values) * 1000:7.1f} ms, max {values[-1] * 1000:7.1f} ms"


def per_image(count: int) -> None:
    made = visuals()[:count]
    for kind, blobs in (
        ("PNG", [v.png for v in made]),
        ("JPEG+EXIF", [_jpeg_with_exif(v.png) for v in made]),
    ):
        timings: dict[str, list[float]] = {"inspect": [], "strip": [], "sha256": [], "ocr": []}
        for data in blobs:
            start = time.perf_counter()
            info = images.inspect(data)
            timings["inspect"].append(time.perf_counter() - start)
            start = time.perf_counter()
            clean = images.strip_metadata(data, info.mime)
            images.inspect(clean)
            timings["strip"].append(time.perf_counter() - start)
            start = time.perf_counter()
            hashlib.sha256(clean).hexdigest()
            timings["sha256"].append(time.perf_counter() - start)
            start = time.perf_counter()
            ocr.read_text(clean)
            timings["ocr"].append(time.perf_counter() - start)
        size = statistics.median(len(b) for b in blobs) / 1024
        print(f"{kind} 1080x1080 ({count} images, median {size:.0f} KiB):")
        for step, values in timings.items():
            print(f"  {step:8} {_ms(values)}")
        upload = [
            sum(t)
            for t in zip(timings["inspect"], timings["strip"], timings["sha256"], strict=True)
        ]
        print(f"  upload (inspect + strip + sha256) {_ms(upload)}; OCR runs in a worker")


def rule_check(checks: int) -> None:
    ruleset = load_ruleset(ROOT / "config" / "rules.toml", ROOT / "config" / "catalog.csv")
    context = Context(now=datetime(2026, 6, 1, tzinfo=UTC), limits=MASTODON.limits)
    texts = [ocr.read_text(v.png).text for v in visuals()[:4]]
    pictures = tuple(DraftImage(n, f"Visuel {n}", text) for n, text in enumerate(texts, 1))
    text = "Nos offres de la semaine, en boutique et sur acme.fr : venez nombreux !"
    plain = Draft(text, "acme", "mastodon")
    with_images = Draft(text, "acme", "mastodon", images=pictures)
    ruleset.evaluate(with_images, context)  # warm the lazy matchers

    def timed(draft: Draft) -> list[float]:
        found = []
        for _ in range(checks):
            start = time.perf_counter()
            ruleset.evaluate(draft, context)
            found.append(time.perf_counter() - start)
        return found

    without, with_four = timed(plain), timed(with_images)
    added = statistics.median(with_four) - statistics.median(without)
    print(f"Rule check, {checks} runs: without images {_ms(without)}")
    print(f"                         with 4 images  {_ms(with_four)}")
    print(f"  added by 4 images (median): {added * 1000:.2f} ms")


def recall() -> None:
    ruleset = load_ruleset(ROOT / "config" / "rules.toml", ROOT / "config" / "catalog.csv")
    context = Context(now=datetime(2026, 6, 1, tzinfo=UTC), limits=MASTODON.limits)
    made = visuals()
    with ThreadPoolExecutor(2) as pool:
        texts = list(pool.map(lambda v: ocr.read_text(v.png).text, made))
    caught = false_blocks = wrong = 0
    for visual, text in zip(made, texts, strict=True):
        draft = Draft("Nos offres", "acme", "mastodon", images=(DraftImage(1, "x", text),))
        blocks = [f for f in ruleset.evaluate(draft, context).findings if f.severity == "block"]
        if visual.correct:
            false_blocks += bool(blocks)
        else:
            wrong += 1
            caught += any(f.rule == "prices" for f in blocks)
    right = len(made) - wrong
    print(
        f"Recall on {len(made)} generated visuals: {caught}/{wrong} wrong prices caught "
        f"({caught / wrong:.0%}), {false_blocks}/{right} right ones blocked"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--checks", type=int, default=300)
    parser.add_argument("--recall", action="store_true", help="also measure the recall (slow)")
    args = parser.parse_args()
    per_image(args.images)
    rule_check(args.checks)
    if args.recall:
        recall()


if __name__ == "__main__":
    main()
