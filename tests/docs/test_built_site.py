"""The built site shows what its pages include, and the README's links lead to built pages.

A snippet line that a formatter rewrote (``--8 < --"file"``) is no longer a snippet:
pymdownx.snippets leaves it alone, ``mkdocs build --strict`` passes, and the page
shows the line as code. A mkdocstrings directive in the wrong place (indented, in a
list) is shown as a paragraph. Both are only visible in the built HTML, and only in
its text: syntax highlighting splits the line into one ``<span>`` per token, so the
test reads each page's text as a browser shows it, then looks for the markup there.

The site is built with the documentation's own requirements
(``docs/requirements.txt``), which the ``tests`` session installs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

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


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The documentation built with ``mkdocs build --strict`` into a fresh directory."""
    directory = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(directory)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, (
        "mkdocs build --strict failed (the tests session installs docs/requirements.txt):\n"
        + result.stdout
        + result.stderr
    )
    return directory


def test_no_built_page_shows_snippet_or_mkdocstrings_markup(site: Path) -> None:
    assert markup_shown(site) == []


def test_the_site_has_its_pages(site: Path) -> None:
    # A site that built nothing would show no markup either.
    for page in ["index.html", "permissions/index.html", "admin/index.html"]:
        text = page_text((site / page).read_text(encoding="utf-8"))
        assert "django-guarded" in text, page
    admin = page_text((site / "admin/index.html").read_text(encoding="utf-8"))
    assert "operation_buttons = {" in admin  # the included demo admin, not its include line


def test_every_readme_link_into_the_site_is_a_built_page(site: Path) -> None:
    links = readme_site_links()
    assert links, f"README.md links to no page of {SITE_URL}"
    missing = [link for link in links if not (site / link / "index.html").is_file()]
    assert missing == []


def test_the_readme_links_no_page_a_code_forge_cannot_render() -> None:
    # docs/*.md hold includes and mkdocstrings directives that only the build expands.
    assert [link for link in relative_links(ROOT / "README.md") if link.startswith("docs")] == []


def test_a_reformatted_snippet_line_is_found_in_highlighted_code(tmp_path: Path) -> None:
    (tmp_path / "page").mkdir()
    (tmp_path / "page" / "index.html").write_text(
        '<pre><code><span class="o">--</span><span class="mi">8</span> '
        '<span class="o">&lt;</span> <span class="o">--</span>'
        '<span class="s2">"demo/pickup/models.py:permission"</span></code></pre>',
        encoding="utf-8",
    )
    (tmp_path / "api.html").write_text("<p>::: django_guarded.admin</p>", encoding="utf-8")
    assert markup_shown(tmp_path) == [
        "api.html: a mkdocstrings directive: ::: django_guarded.admin",
        'page/index.html: a snippet include: --8 < --"demo/pickup/models.py:permission"',
    ]


def test_text_that_only_looks_alike_is_not_markup(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text(
        "<script>var a = '--8<--';</script>"
        '<pre class="mermaid">A:::highlight --> B</pre>'
        "<p>x = 8 &lt; 9 and y[::2]</p>",
        encoding="utf-8",
    )
    assert markup_shown(tmp_path) == []
