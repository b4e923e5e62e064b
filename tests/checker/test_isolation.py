"""The checker is pure AST: it never imports Django or the checked project."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

CHECKER = Path(__file__).resolve().parents[2] / "django_guarded" / "checker"
ALLOWED_TOP_LEVEL = {"django_guarded", "tomli", "tomllib"}


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def test_checker_modules_import_only_the_standard_library() -> None:
    stdlib = set(sys.stdlib_module_names)
    for path in CHECKER.glob("*.py"):
        for module in imported_modules(path):
            top = module.partition(".")[0]
            assert top in stdlib or top in ALLOWED_TOP_LEVEL, f"{path.name} imports {module}"


def test_running_the_checker_imports_no_django(tmp_path: Path) -> None:
    """With the checker package on its own (the runtime package left out), a full
    run over a project, reading installed Django sources, loads no Django module."""
    package = tmp_path / "django_guarded"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "checker").symlink_to(CHECKER, target_is_directory=True)
    project = tmp_path / "project"
    (project / "app").mkdir(parents=True)
    (project / "pyproject.toml").write_text("")
    (project / "app" / "__init__.py").write_text("")
    (project / "app" / "models.py").write_text(
        "from django.contrib.auth.models import AbstractUser\n"
        "class User(AbstractUser):\n    pass\n"
        "def f(pk):\n    User.objects.get(pk=pk).save()\n"
    )
    script = (
        "import sys\n"
        f"sys.path.insert(0, {str(tmp_path)!r})\n"
        "from pathlib import Path\n"
        "from django_guarded.checker import run\n"
        f"_, result = run([Path({str(project)!r})], overrides={{'strict': True}})\n"
        "assert [f.code for f in result.findings] == ['GRD201'], result.findings\n"
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr


def test_importing_the_installed_checker_loads_no_django() -> None:
    """The runtime package imports its public names lazily, so the checker's import
    (as flake8 and the command line do it) does not pay for loading Django."""
    script = (
        "import sys\n"
        "import django_guarded.checker\n"
        "import django_guarded.checker.flake8\n"
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=False,
        cwd=CHECKER.parents[1],
    )
    assert done.returncode == 0, done.stderr
