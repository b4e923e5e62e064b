"""The built site shows what its pages include, and the README's links lead to built pages.

Run by the docs session after it builds the site (``python3 -m nox -s docs``, which CI
runs), on that site: ``pytest --noconftest tests/docs/site_check.py`` with
``DOCS_SITE=site``. Without ``DOCS_SITE`` it builds the site itself, with the
documentation's requirements (``docs/requirements.txt``) installed. The file name keeps
it out of the test suite's own run, which does not install them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs.built_site import ROOT, SITE_URL, markup_shown, page_text, readme_site_links


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site in ``DOCS_SITE`` (where the docs session built it), or the documentation
    built here with ``mkdocs build --strict`` into a fresh directory."""
    if os.environ.get("DOCS_SITE"):
        return Path(os.environ["DOCS_SITE"]).resolve()
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
        "mkdocs build --strict failed (install docs/requirements.txt first):\n"
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
