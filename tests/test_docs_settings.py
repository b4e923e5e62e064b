"""The settings reference documents every key of ``DJANGO_GUARDED``, with its default."""

from __future__ import annotations

import re
from pathlib import Path

from django_guarded.conf import DEFAULTS

PAGE = Path(__file__).resolve().parent.parent / "docs" / "reference" / "settings.md"


def test_every_key_has_a_section_and_no_section_is_stale() -> None:
    headings = re.findall(r"^## `(\w+)`$", PAGE.read_text(encoding="utf-8"), re.MULTILINE)
    assert headings == sorted(DEFAULTS)


def test_each_section_states_the_default_of_conf_py() -> None:
    text = PAGE.read_text(encoding="utf-8")
    for key, default in DEFAULTS.items():
        section = text.split(f"## `{key}`", 1)[1].split("\n## ", 1)[0]
        shown = repr(default).replace("'", '"')
        assert f"**Default:** `{shown}`" in section, key


def test_the_example_at_the_top_is_the_defaults() -> None:
    text = PAGE.read_text(encoding="utf-8")
    block = text.split('```py title="settings.py"\n', 1)[1].split("```", 1)[0]
    namespace: dict[str, object] = {}
    exec(block, namespace)
    assert namespace["DJANGO_GUARDED"] == DEFAULTS
