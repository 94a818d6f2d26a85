"""axe-core in the browser tests: every page they check must have no violation.

``vendor/axe.min.js`` is axe-core from npm (``npm pack axe-core``; MPL-2.0, its licence
beside it), vendored so the tests run offline. Update it with the same command.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

from playwright.sync_api import Error as PlaywrightError

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary),
  }));
}"""
# Not pages: files, downloads, the API, and GETs that leave for another site (OAuth).
NOT_PAGES = re.compile(
    r"^/(api/|static/|media/|healthz|metrics)|/oauth/|\.(csv|json|png|jpe?g|svg|txt)$"
    r"|/(download|export|evidence)(/|$)"
)


@cache
def _source() -> str:
    return AXE.read_text(encoding="utf-8") + "\n;undefined"


def violations(page: Any) -> list[dict[str, Any]]:
    """axe's violations on the page as it is now (axe is injected when missing)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_source())  # evaluated over the DevTools protocol: the CSP allows it
    return page.evaluate(RUN)


REGION = '[role=region][tabindex="0"]'
UNREACHABLE_TABLES = f"""() => [...document.querySelectorAll('table')]
  .filter(t => !t.closest('{REGION}[aria-label], {REGION}[aria-labelledby]'))
  .map(t => (t.caption ? t.caption.textContent : t.className) || 'table')"""


def unreachable_tables(page: Any) -> list[dict[str, Any]]:
    """Tables a keyboard cannot scroll: not inside a labelled region with tabindex=0 (the
    scrolling box of a wide table on a narrow screen), as violations in axe's shape."""
    names = page.evaluate(UNREACHABLE_TABLES)
    help_ = "Tables scroll inside a labelled region with tabindex=0"
    return (
        [{"id": "table-keyboard", "impact": "serious", "help": help_, "nodes": names}]
        if names
        else []
    )


def describe(where: str, found: list[dict[str, Any]]) -> str:
    lines = [f"{where}:"]
    for v in found:
        lines.append(f"  {v['id']} ({v['impact']}): {v['help']}")
        lines.extend(f"    {node}" for node in v["nodes"])
    return "\n".join(lines)


def assert_accessible(page: Any, where: str | None = None) -> None:
    found = violations(page)
    assert not found, describe(where or page.url, found)


def page_key(path: str) -> str:
    """One visit per kind of page: numbers in the path and query values do not count."""
    parts = urlsplit(path)
    keys = sorted({name for name, _ in parse_qsl(parts.query)})
    return re.sub(r"\d+", "N", parts.path) + ("?" + "&".join(keys) if keys else "")


def links(page: Any, origin: str) -> list[str]:
    """Same-site pages the current page links to, as paths with their query."""
    found = []
    for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
        url = urlsplit(urljoin(page.url, href))
        if f"{url.scheme}://{url.netloc}" != origin or NOT_PAGES.search(url.path):
            continue
        found.append(url.path + (f"?{url.query}" if url.query else ""))
    return found


def crawl(
    page: Any,
    origin: str,
    start: list[str],
    also_at: dict[str, int] | None = None,
    limit: int = 120,
) -> tuple[list[str], dict[str, list[Any]]]:
    """Visits every kind of page reachable from ``start`` by links and checks each (axe, and
    tables the keyboard can reach), at the page's size and again at ``also_at`` (a phone's
    viewport: the same visit, laid out again); returns the pages visited and the problems
    found per page and size (none when all is well)."""
    queue, visited = list(start), []
    seen: set[str] = set()
    problems: dict[str, list[Any]] = {}
    while queue and len(visited) < limit:
        path = queue.pop(0)
        if page_key(path) in seen:
            continue
        seen.add(page_key(path))
        try:
            response = page.goto(origin + path)
        except PlaywrightError as error:  # a download (a report as a file), not a page
            if "Download is starting" in str(error):
                continue
            raise
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        if not page.url.startswith(origin):
            continue
        visited.append(path)
        found = violations(page) + unreachable_tables(page)
        if found:
            problems[path] = found
        if also_at:
            size = page.viewport_size
            page.set_viewport_size(also_at)
            found = violations(page)
            if found:
                problems[f"{path} at {also_at['width']} px"] = found
            page.set_viewport_size(size)
        queue.extend(links(page, origin))
    return visited, problems
