"""Mastodon's status HTML back to the plain text Postgate published.

Mastodon stores a post's text but answers with HTML: paragraphs as ``<p>``,
line breaks as ``<br />``, links shortened with ``<span class="invisible">``
parts whose text still spells the full URL. Postgate compares what is on the
account with what it approved (takedown, read-back after a crash), so the
conversion must give back the exact text: breaks become newlines, paragraphs
a blank line, tags vanish, entities are unescaped.
"""

from __future__ import annotations

from html.parser import HTMLParser


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._paragraphs = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            found = dict(attrs)
            classes = (found.get("class") or "").split()
            href = found.get("href")
            if href and "mention" not in classes and "hashtag" not in classes:
                self.links.append(href)
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "p":
            if self._paragraphs:
                self.parts.append("\n\n")
            self._paragraphs += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def parts_text(self) -> str:
        return "".join(self.parts).strip()


def html_to_text(html: str) -> str:
    """Plain text of a Mastodon status ``content``; see the module docstring."""
    return _parse(html).parts_text()


def html_links(html: str) -> list[str]:
    """The ``href`` of each link in a status ``content`` that is not a mention or hashtag."""
    return _parse(html).links


def _parse(html: str) -> _TextExtractor:
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return parser
