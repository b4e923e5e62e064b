"""Reading the built site: the text of its pages, the build markup left in them, and
the README's links into it.

A snippet line that a formatter rewrote (``--8 < --"file"``) is no longer a snippet:
pymdownx.snippets leaves it alone, ``mkdocs build --strict`` passes, and the page
shows the line as code. A mkdocstrings directive in the wrong place (indented, in a
list) is shown as a paragraph. Both are only visible in the built HTML, and only in
its text: syntax highlighting splits the line into one ``<span>`` per token, so
`markup_shown` reads each page's text as a browser shows it, then looks for the
markup there. ``tests/docs/site_check.py`` runs it on the site the docs session
builds; ``tests/docs/test_built_site.py`` tests it on pages it writes.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Where the README sends its readers: the built site, as published.
SITE_URL = "https://django-guarded.readthedocs.io/en/latest/"

#: Markup that only means something to the site's build, with what it is.
MARKUP = {
    "a snippet include": re.compile(r"--8\s*<"),
    "a mkdocstrings directive": re.compile(r"(?:^|\s):::\s+[A-Za-z_][\w.]*"),
}


class _PageText(HTMLParser):
    """The text of a page as a browser shows it: no tags, no scripts, entities decoded."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def page_text(html: str) -> str:
    """The visible text of one HTML page."""
    parser = _PageText()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def markup_shown(site: Path) -> list[str]:
    """Each line of a built page that shows build markup as text, as ``page: what: line``."""
    found = []
    for page in sorted(site.rglob("*.html")):
        for line in page_text(page.read_text(encoding="utf-8")).splitlines():
            for what, pattern in MARKUP.items():
                if pattern.search(line):
                    found.append(f"{page.relative_to(site)}: {what}: {line.strip()}")
    return found


def readme_site_links() -> list[str]:
    """The README's links into the published site, without their anchors."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\((" + re.escape(SITE_URL) + r"[^)\s#]*)", text)
    return [link[len(SITE_URL) :] for link in links]


def relative_links(path: Path) -> list[str]:
    """The Markdown links of ``path`` that a code forge resolves inside the repository."""
    links = re.findall(r"\]\(([^)\s]+)\)", path.read_text(encoding="utf-8"))
    return [link for link in links if not re.match(r"[a-z]+:|#", link)]
