"""A set of generated promotion visuals, for measuring how well prices are read in images.

Each visual is a 1080x1080 square, as brands post them: a banner word, a product of the
shipped catalogue (``config/catalog.csv``), its price in large type, sometimes a slogan,
in one of the DejaVu fonts (sans, serif, condensed, mono, bold, oblique), at various sizes
and in various colours (dark on light, light on dark, colour on colour). About half state the
catalogue price; the others a wrong one of the kinds that cause real crises: a dropped digit
("14,90 €" for 149 €), a misplaced decimal comma ("3,49 €" for 34,90 €), swapped digits.

Deterministic (a fixed seed), so the published recall can be reproduced:
``python benchmarks/promo_visuals.py OUT_DIR`` writes the PNGs and a ``visuals.csv``.
"""

from __future__ import annotations

import csv
import io
import random
import sys
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = (
    "DejaVuSans-Bold.ttf",
    "DejaVuSans.ttf",
    "DejaVuSerif-Bold.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSansCondensed-Bold.ttf",
    "DejaVuSansMono-Bold.ttf",
    "DejaVuSans-BoldOblique.ttf",
    "DejaVuSerif-Italic.ttf",
)
# (background, text, accent): dark on light, light on dark, colour on colour.
PALETTES = (
    ("#ffffff", "#111111", "#d62828"),
    ("#fff3b0", "#1d3557", "#e63946"),
    ("#1d3557", "#f1faee", "#ffb703"),
    ("#000000", "#ffffff", "#ffd60a"),
    ("#e63946", "#ffffff", "#1d3557"),
    ("#2a9d8f", "#ffffff", "#264653"),
    ("#f4a261", "#264653", "#ffffff"),
    ("#6a4c93", "#ffffff", "#ffca3a"),
)
BANNERS = ("SOLDES", "PROMO", "NOUVEAU", "OFFRE SPÉCIALE", "BLACK FRIDAY", "EXCLUSIF WEB")
SLOGANS = ("Livraison offerte", "Jusqu'à dimanche", "En magasin et en ligne", "")
# Catalogue products without a promotion, with their price (config/catalog.csv).
PRODUCTS = (
    ("Casque Aurora Pro", "1299.00"),
    ("Enceinte Nova Max", "149.00"),
    ("Lampe Lumen", "34.90"),
    ("Bracelet Orbite", "29.00"),
    ("Cafetière Brume", "89.00"),
    ("Capsules Brume x50", "14.50"),
    ("Sac à dos Sentier", "79.00"),
    ("Chargeur Éclair 65W", "39.99"),
    ("Câble Éclair USB-C", "12.99"),
)
SIZE = 1080
COUNT = 36


@dataclass(frozen=True)
class Visual:
    name: str
    png: bytes
    product: str
    price: str  # as printed
    correct: bool


def _written(amount: str, style: int) -> str:
    """A price the way a visual prints it: 149,00 €, 149 €, €149.00, 1 299,00 €."""
    euros, cents = amount.split(".")
    grouped = f"{int(euros):,}".replace(",", " ")
    if style == 0:
        return f"{grouped},{cents} €"
    if style == 1 and cents == "00":
        return f"{grouped} €"
    if style == 2:
        return f"€{int(euros):,}.{cents}"
    return f"{grouped},{cents} €"


def _wrong(amount: str, rng: random.Random) -> str:
    """A wrong price of a kind that happens: a digit dropped, the comma moved, digits swapped."""
    value = amount.replace(".", "")
    kind = rng.randrange(3)
    if kind == 0 and len(value) > 3:  # 14900 -> 1490 (149,00 -> 14,90)
        wrong = value[:-3] + value[-2:]
    elif kind == 1:  # 3490 -> 349 (34,90 -> 3,49)
        wrong = value[:-1] if len(value) > 3 else value + "0"
    else:  # swap the first two digits: 7900 -> 9700
        wrong = value[1] + value[0] + value[2:] if value[0] != value[1] else "1" + value
    wrong = wrong.lstrip("0") or "1"
    if wrong == value:
        wrong = str(int(value) + 1000)
    return f"{int(wrong[:-2] or 0)}.{wrong[-2:].rjust(2, '0')}"


def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    path = FONT_DIR / name
    if not path.exists():
        raise SystemExit(f"{path} is missing: apt-get install fonts-dejavu-core")
    return ImageFont.truetype(str(path), size)


def _centred(
    draw: ImageDraw.ImageDraw, y: int, text: str, font: ImageFont.FreeTypeFont, fill: str
) -> int:
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    draw.text(((SIZE - (right - left)) / 2 - left, y - top), text, font=font, fill=fill)
    return y + (bottom - top)


def draw_visual(product: str, price: str, rng: random.Random) -> bytes:
    background, ink, accent = rng.choice(PALETTES)
    font_name = rng.choice(FONTS)
    image = Image.new("RGB", (SIZE, SIZE), background)
    draw = ImageDraw.Draw(image)
    banner_size, name_size = rng.randint(70, 120), rng.randint(48, 80)
    price_size = rng.randint(110, 190)
    y = rng.randint(90, 170)
    y = _centred(draw, y, rng.choice(BANNERS), _font(font_name, banner_size), accent) + 90
    name_font = _font(font_name, name_size)
    while draw.textlength(product, font=name_font) > SIZE - 80:
        name_font = _font(font_name, name_font.size - 4)
    y = _centred(draw, y, product, name_font, ink) + 70
    price_font = _font(font_name, price_size)
    while draw.textlength(price, font=price_font) > SIZE - 80:
        price_font = _font(font_name, price_font.size - 6)
    y = _centred(draw, y, price, price_font, accent) + 80
    slogan = rng.choice(SLOGANS)
    if slogan:
        _centred(draw, min(y, SIZE - 120), slogan, _font(font_name, rng.randint(36, 54)), ink)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def visuals(count: int = COUNT, seed: int = 13) -> list[Visual]:
    """``count`` visuals; every other one (from a shuffled order) states a wrong price."""
    rng = random.Random(seed)
    made = []
    for n in range(count):
        product, amount = PRODUCTS[n % len(PRODUCTS)]
        correct = n % 2 == 0
        shown = amount if correct else _wrong(amount, rng)
        price = _written(shown, rng.randrange(3))
        made.append(
            Visual(f"visual-{n:02d}", draw_visual(product, price, rng), product, price, correct)
        )
    return made


def main(folder: str) -> None:
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "visuals.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "product", "price", "correct"])
        for visual in visuals():
            (out / f"{visual.name}.png").write_bytes(visual.png)
            writer.writerow([f"{visual.name}.png", visual.product, visual.price, visual.correct])
    print(f"wrote {COUNT} visuals to {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "promo-visuals")
