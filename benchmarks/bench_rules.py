"""Benchmark the rule engine with a large configuration.

Generates 20,000 banned terms and 2,000 catalogue products into a temp folder,
loads the full rule set (every kind) and times `RuleSet.evaluate` on unique
500-character French/English posts; then times the banned-terms check alone,
with the Aho-Corasick matcher and with a naive one-regex-per-term matcher.

    python benchmarks/bench_rules.py [--posts 3000] [--naive-posts 100]
"""

from __future__ import annotations

import argparse
import gc
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from postgate.platforms.registry import MASTODON
from rules import Context, Draft, load_ruleset
from rules.normalize import normalize
from rules.terms import BannedTermsRule

SYLLABLES = "ba be bi bo bu ca ce co cu da de di do fa fe fi ga go la le li lo lu ma me mi mo mu na ne ni no pa pe pi po ra re ri ro ru sa se si so ta te ti to tu va ve vi vo za ze".split()  # noqa: E501
SENTENCES = [
    "Découvrez notre nouvelle collection d'automne, disponible dès aujourd'hui en boutique.",
    "Our team is here to help you Monday to Friday, from 9am to 6pm.",
    "Merci à toutes et à tous pour votre fidélité cette année !",
    "Free delivery on every order over 50 euros, this week only.",
    "Rendez-vous samedi dans notre magasin de Lyon pour une démonstration.",
    "Read the full story on our blog: https://www.acme.fr/blog/automne",
    "Questions? Write to support@acme.fr and we will answer within a day.",
    "Le service client est joignable au 01 23 45 67 89 du lundi au vendredi.",
    "Stock is limited, so don't wait too long to order yours.",
    "Nos équipes ont travaillé dur pour vous proposer le meilleur.",
]
RULES = """
catalog = "catalog.csv"

[[rules]]
id = "banned-terms"
kind = "banned_terms"
terms_file = "terms.txt"

[[rules]]
id = "ticket"
kind = "pattern"
pattern = '\\b(?:JIRA|INC)-\\d{3,}\\b'
message = "Internal ticket number."

[[rules]]
id = "links"
kind = "links"
allow = ["acme.fr", "acme.com"]
block = ["bit.ly", "evil.com"]

[[rules]]
id = "prices"
kind = "prices"

[[rules]]
id = "personal"
kind = "personal_data"
allow_email_domains = ["acme.fr"]

[[rules]]
id = "limits"
kind = "platform_limits"

[[rules]]
id = "schedule"
kind = "posting_window"
blackout_dates = [2025-12-25]

[[rules]]
id = "freeze"
kind = "freeze"

[[rules]]
id = "duplicates"
kind = "duplicates"
"""


def word(rng: random.Random, syllables: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(syllables))


def write_config(folder: Path, rng: random.Random) -> tuple[list[str], list[tuple[str, str]]]:
    terms = sorted({word(rng, rng.randint(3, 5)) for _ in range(25_000)})[:20_000]
    rng.shuffle(terms)
    (folder / "terms.txt").write_text("\n".join(terms) + "\n", encoding="utf-8")
    lines = ["sku,name,aliases,price,currency,promo_price,promo_start,promo_end"]
    products = []
    for n in range(2_000):
        name = f"{rng.choice(['Casque', 'Lampe', 'Enceinte', 'Sac'])} {word(rng, 3).title()} {n}"
        price = f"{rng.randint(5, 1500)}.{rng.choice(['00', '50', '99'])}"
        lines.append(f"SKU-{n},{name},,{price},EUR,,,")
        products.append((name, price))
    (folder / "catalog.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "rules.toml").write_text(RULES, encoding="utf-8")
    return terms, products


def make_post(rng: random.Random, terms: list[str], products: list[tuple[str, str]]) -> str:
    parts = []
    while sum(len(p) + 1 for p in parts) < 440:
        parts.append(rng.choice(SENTENCES))
    name, price = rng.choice(products)
    if rng.random() < 0.1:
        price = "1.00"  # a wrong price now and then
    parts.insert(rng.randrange(len(parts)), f"Le {name} est à {price.replace('.', ',')} € !")
    if rng.random() < 0.1:
        parts.append(f"Pas de {rng.choice(terms)} ici.")
    text = " ".join(parts) + f" #{word(rng, 4)}"  # unique, so no cache can help
    return text[:500]


def timed(posts: list[str], run: Callable[[str], object]) -> list[float]:
    samples = []
    for text in posts:
        start = time.perf_counter_ns()
        run(text)
        samples.append((time.perf_counter_ns() - start) / 1000)
    return samples


def report(label: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(
        f"{label:<44} n={len(samples):>5}  median {statistics.median(samples):9.1f} µs"
        f"  p99 {p99:9.1f} µs"
    )


def naive_matcher(terms: list[str]) -> Callable[[str], list[str]]:
    regexes = [re.compile(rf"\b{re.escape(t)}\b", re.IGNORECASE) for t in terms]
    return lambda text: [r.pattern for r in regexes if r.search(text)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=3000)
    parser.add_argument("--naive-posts", type=int, default=100)
    args = parser.parse_args()
    rng = random.Random(20251126)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        terms, products = write_config(folder, rng)
        start = time.perf_counter()
        ruleset = load_ruleset(folder / "rules.toml")
        print(
            f"loaded {ruleset.version}: 20,000 terms, 2,000 products, 9 rules "
            f"in {time.perf_counter() - start:.2f} s"
        )
    posts = [make_post(rng, terms, products) for _ in range(args.posts + 100)]
    warmup, posts = posts[:100], posts[100:]
    recent = tuple(make_post(rng, terms, products) for _ in range(20))
    context = Context(
        now=datetime(2025, 11, 26, 10, 0, tzinfo=UTC),
        timezone="Europe/Paris",
        windows=("mon-fri 08:00-20:00", "sat 10:00-14:00"),
        recent_posts=recent,
        limits=MASTODON.limits,
    )

    def evaluate(text: str) -> object:
        return ruleset.evaluate(Draft(text, "acme", "mastodon"), context)

    blocked = sum(evaluate(text).blocked for text in warmup)
    print(f"warm-up: {blocked} of {len(warmup)} posts blocked")
    report("full rule set (9 rules)", timed(posts, evaluate))
    # Long-lived objects (rule set, catalogue) make the occasional full garbage
    # collection slow; a server freezes them after start-up, as below.
    gc.collect()
    gc.freeze()
    normalize.cache_clear()
    report("full rule set, after gc.freeze()", timed(posts, evaluate))
    (terms_rule,) = [r for r in ruleset.rules_for("acme") if isinstance(r, BannedTermsRule)]
    normalize.cache_clear()  # time the folding too, not a cache hit
    report("banned terms, Aho-Corasick (folded text)", timed(posts, terms_rule.matcher.find))
    naive = naive_matcher(terms)
    report("banned terms, naive regex per term", timed(posts[: args.naive_posts], naive))


if __name__ == "__main__":
    main()
