"""Text in images, read by the real Tesseract (French and English), and what the rules make
of it: the recall on generated promotion visuals that docs/rules.md publishes (issue 13)."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from PIL import Image, ImageDraw, ImageFont

from benchmarks.promo_visuals import FONT_DIR, visuals
from postgate.media import ocr
from postgate.platforms.registry import PLATFORMS
from rules import Context, Draft, DraftImage, load_ruleset
from tests.conftest import ROOT


def _banner(lines: list[tuple[str, str]], background: str = "#e63946") -> bytes:
    image = Image.new("RGB", (1080, 540), background)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT_DIR / "DejaVuSans-Bold.ttf"), 72)
    for n, (text, colour) in enumerate(lines):
        draw.text((60, 60 + n * 140), text, font=font, fill=colour)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_dark_and_light_text_on_one_colour_are_both_read():
    """Navy and white on red: one global threshold keeps only one of them."""
    text = ocr.read_text(_banner([("Lampe Lumen", "#ffffff"), ("34,90 €", "#1d3557")])).text
    assert "Lampe Lumen" in text and "34,90 €" in text


def test_a_tiny_image_is_enlarged_before_reading():
    image = Image.new("RGB", (220, 60), "white")
    font = ImageFont.truetype(str(FONT_DIR / "DejaVuSans.ttf"), 22)
    ImageDraw.Draw(image).text((8, 16), "SOLDES 20 %", font=font, fill="black")
    out = io.BytesIO()
    image.save(out, "PNG")
    assert "SOLDES" in ocr.read_text(out.getvalue()).text


def test_an_image_without_text_reads_empty():
    out = io.BytesIO()
    Image.new("RGB", (300, 300), "#2a9d8f").save(out, "PNG")
    assert ocr.read_text(out.getvalue()).text == ""


def test_no_tesseract_is_reported_not_crashed(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ocr.OcrUnavailable):
        ocr.read_text(_banner([("x", "#fff")]))


@pytest.fixture(scope="module")
def readings():
    """Every generated visual read once (two at a time: Tesseract is a child process)."""
    made = visuals()
    with ThreadPoolExecutor(2) as pool:
        texts = list(pool.map(lambda v: ocr.read_text(v.png).text, made))
    return list(zip(made, texts, strict=True))


def test_wrong_prices_in_promotion_visuals_are_caught_and_right_ones_pass(readings):
    """The goal of issue 13: at least 90% of the wrong prices caught, no false block."""
    ruleset = load_ruleset(ROOT / "config" / "rules.toml", ROOT / "config" / "catalog.csv")
    context = Context(now=datetime(2026, 6, 1, tzinfo=UTC), limits=PLATFORMS["mastodon"].limits)
    caught, false_blocks, wrong = [], [], [v for v, _ in readings if not v.correct]
    for visual, text in readings:
        draft = Draft("Nos offres", "acme", "mastodon", images=(DraftImage(1, "Visuel", text),))
        blocks = [f for f in ruleset.evaluate(draft, context).findings if f.severity == "block"]
        if visual.correct and blocks:
            false_blocks.append((visual.name, text, [f.message for f in blocks]))
        if not visual.correct and any(f.rule == "prices" and f.image == 1 for f in blocks):
            caught.append(visual.name)
    assert len(readings) >= 30 and len(wrong) >= 15
    assert len(caught) / len(wrong) >= 0.9, (len(caught), len(wrong))
    assert false_blocks == []
