"""Links: find them in a post and decide which host they really lead to.

The host is read the way a browser reads it, not the way it looks: user-info
(`https://good.com@evil.com/`), backslashes, ports, trailing dots, case,
full-width dots and Unicode versus punycode (`xn--`) spellings all reduce to
one ASCII form before the allow and block lists are consulted.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from .base import BLOCK, FLAG, SEVERITIES, Context, Draft, Finding, Rule, Template
from .options import Options

# Bare domains ("acme.fr/soldes") count as links only with a TLD from this
# list, so "e.g." or "Node.js" stay plain words.
_BARE_TLDS = (
    "com|net|org|info|biz|io|co|me|app|dev|xyz|fr|be|ch|de|eu|uk|es|it|nl|pt|us|ca|"
    "ru|cn|tk|top|ly|gl|gg|to|tv|shop|online|site|link|click|live|news|store"
)
_LINK_RE = re.compile(
    rf"""(?ix)
    (?<![\w@.-])
    (?:
        (?:https?|ftp):[^\s<>"]+                  # with a scheme
      | //[^\s<>"/]+\.[^\s<>"]+                   # scheme-relative
      | www\.[^\s<>"]+                            # www. without a scheme
      | (?:[\w-]+\.)+(?:{_BARE_TLDS}|xn--[a-z0-9-]+)\b(?:[/:?#][^\s<>"]*)?   # bare domain
    )
    """
)
BLOCKED = Template('The link "{url}" leads to {host}, on the blocked domain {domain}.')
UNLISTED = Template('The link "{url}" leads to {host}, not an allowed domain.')
NO_HOST = Template('The link "{url}" leads to no host, not an allowed domain.')

_TRAILING = ".,;:!?'\"\u00bb\u201d\u2019\u2026"
_DOTS_RE = re.compile("[\u3002\uff0e\uff61]")


def _trim(url: str) -> str:
    """Drop punctuation that ends the sentence rather than the URL."""
    while url:
        if url[-1] in _TRAILING:
            url = url[:-1]
        elif url[-1] == ")" and url.count("(") < url.count(")"):
            url = url[:-1]
        else:
            break
    return url


def find_links(text: str) -> list[tuple[str, tuple[int, int]]]:
    """Each link with its span in `text`."""
    found = []
    for match in _LINK_RE.finditer(text):
        url = _trim(match.group())
        if url:
            found.append((url, (match.start(), match.start() + len(url))))
    return found


def extract_links(text: str) -> list[str]:
    """The links of a post, in order, as written (sentence punctuation trimmed)."""
    return [url for url, _ in find_links(text)]


def normalize_host(host: str) -> str:
    """One ASCII, lower-case, dot-free-ended spelling of a host name.

    The spelling is a fixed point (normalising it again changes nothing): percent-escapes
    and the IDNA mapping can each produce what the other undoes (``"%¼"`` maps to
    ``"%14"``, which decodes to a control character), so the steps run until nothing
    changes, at most a few times.
    """
    for _ in range(_MAX_PASSES):
        spelled = _normalize_once(host)
        if spelled == host:
            break
        host = spelled
    return host


_MAX_PASSES = 5


def _normalize_once(host: str) -> str:
    host = _DOTS_RE.sub(".", unquote(host)).strip().rstrip(".").lower()
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return host
    # Decode and re-encode so a hand-written "xn--" label lands on the same form.
    try:
        return ascii_host.encode("ascii").decode("idna").encode("idna").decode("ascii")
    except UnicodeError:
        return ascii_host


def link_host(url: str) -> str:
    """The host a browser would contact for `url` ("" when there is none)."""
    url = url.replace("\\", "/")
    if url.startswith("//"):
        url = "http:" + url
    elif not re.match(r"(?i)[a-z][a-z0-9+.-]*://", url):
        # "https:evil.com" and "www.evil.com" both go to evil.com in a browser.
        url = "http://" + re.sub(r"(?i)^(?:https?|ftp):/*", "", url)
    netloc = urlsplit(url).netloc
    host = netloc.rpartition("@")[2]
    if host.startswith("["):
        return host.partition("]")[0] + "]"
    return normalize_host(host.partition(":")[0])


def _on_list(host: str, domains: tuple[str, ...]) -> str | None:
    for domain in domains:
        if host == domain or host.endswith("." + domain):
            return domain
    return None


class LinksRule(Rule):
    """Blocked domains (and their subdomains) get `severity`; with an allow list,
    any other domain gets `unlisted_severity`."""

    kind = "links"
    reads_images = True
    default_severity = BLOCK

    def __init__(
        self,
        rule_id: str,
        severity: str,
        allow: tuple[str, ...],
        block: tuple[str, ...],
        unlisted_severity: str,
    ) -> None:
        super().__init__(rule_id, severity)
        self.allow = allow
        self.block = block
        self.unlisted_severity = unlisted_severity

    @classmethod
    def from_config(cls, rule_id: str, severity: str, opts: Options) -> LinksRule:
        allow = tuple(normalize_host(d) for d in opts.strings("allow"))
        block = tuple(normalize_host(d) for d in opts.strings("block"))
        unlisted = opts.string("unlisted_severity", FLAG)
        if unlisted not in SEVERITIES:
            raise opts.error(
                "unlisted_severity",
                "must be one of {known}, got {value!r}",
                known=", ".join(SEVERITIES),
                value=unlisted,
            )
        return cls(rule_id, severity, allow, block, unlisted)

    def evaluate(self, draft: Draft, context: Context) -> list[Finding]:
        findings = []
        for url, span in find_links(draft.text):
            host = link_host(url)
            blocked = _on_list(host, self.block)
            if blocked:
                findings.append(self.finding(BLOCKED, span, url=url, host=host, domain=blocked))
            elif self.allow and not _on_list(host, self.allow):
                template, where = (UNLISTED, {"host": host}) if host else (NO_HOST, {})
                findings.append(
                    self.finding(template, span, self.unlisted_severity, url=url, **where)
                )
        return findings
