"""The reading of the built site (tests/docs/built_site.py), on pages written here; the
built site itself is checked by tests/docs/site_check.py in the docs session."""

from __future__ import annotations

from pathlib import Path

from tests.docs.built_site import ROOT, markup_shown, relative_links


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
