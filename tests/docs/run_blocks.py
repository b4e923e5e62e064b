"""Run every ```python block of one Markdown page against the demo project.

``python -m tests.docs.run_blocks PAGE.md`` sets up the demo's settings on a fresh
SQLite file (``DEMO_DB``), migrates it, then executes the page's blocks in order
in one namespace, as a reader would type them into ``manage.py shell``. It exits
non-zero, naming the block and its first line, as soon as one block raises.
``--settings MODULE`` runs a page against other settings instead (the test suite's
own, for a page built on its bank: they give SQLite in memory without ``DATABASE_URL``).
"""

from __future__ import annotations

import os
import re
import sys
import traceback
from pathlib import Path

#: A fence that opens a block to run: ```python, with or without attributes.
FENCE = re.compile(r"^```python[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def python_blocks(page: Path) -> list[str]:
    """The source of each ```python block of ``page``, in order."""
    return FENCE.findall(page.read_text(encoding="utf-8"))


def main(argv: list[str]) -> int:
    settings = "demo.settings"
    if argv[:1] == ["--settings"]:
        settings, argv = argv[1], argv[2:]
    page = Path(argv[0])
    os.environ["DJANGO_SETTINGS_MODULE"] = settings
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    blocks = python_blocks(page)
    for number, source in enumerate(blocks, start=1):
        first_line = source.strip().splitlines()[0] if source.strip() else ""
        try:
            exec(compile(source, f"{page}:block{number}", "exec"), namespace)
        except BaseException:
            traceback.print_exc()
            print(f"{page}: block {number} ({first_line!r}) raised", file=sys.stderr)
            return 1
    print(f"{page}: {len(blocks)} blocks ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
