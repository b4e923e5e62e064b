"""The static checker on real Django code installed from PyPI: what it finds, how fast.

Run from the repository root, where django-guarded, flake8 and pyflakes are
installed (``python3 -m nox -s bench -- checker`` does that):
``python bench/bench_checker.py``. It

1. finds Django projects installed in this environment (Django itself, wagtail
   and others from ``CANDIDATES``) without importing them, and runs the checker
   in strict mode over their installed sources: files, lines, findings per
   rule, time with a cold and a warm index cache;
2. prints a fixed-seed sample of the findings with their source line, for a
   person to check by hand (``BENCH_SAMPLE``, default 30);
3. times, in this same run and on the same files, the standalone checker
   against pyflakes (target: at most 0.5x), and ``flake8 --select=F,GRD``
   against ``flake8 --select=F`` (target: at most 1.15x). Each time is the best
   of ``BENCH_REPEAT`` runs (default 3); every command runs in its own process,
   start-up included.

Nothing is faked: a target that is missed is printed as missed.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from django_guarded.checker import run  # noqa: E402
from django_guarded.checker.codes import RULES  # noqa: E402
from django_guarded.checker.paths import iter_python_files  # noqa: E402

CANDIDATES = ("django", "wagtail", "oscar", "cms", "allauth", "rest_framework")
"""Import names of Django projects to look for; those not installed are skipped."""
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
SAMPLE = int(os.environ.get("BENCH_SAMPLE", "30"))
PYFLAKES_TARGET = 0.5
FLAKE8_TARGET = 1.15


def installed_projects() -> list[tuple[str, Path]]:
    """``(name, package folder)`` of the candidates found on ``sys.path``."""
    found = []
    for name in CANDIDATES:
        spec = importlib.util.find_spec(name)  # top-level only: nothing is imported
        if spec is not None and spec.origin and spec.origin.endswith("__init__.py"):
            found.append((name, Path(spec.origin).parent))
    return found


def plugin_installed() -> bool:
    """Whether flake8 finds the GRD plugin through its entry point."""
    entry_points = importlib.metadata.entry_points(group="flake8.extension")
    return any(ep.name == "GRD" for ep in entry_points)


def make_root(package: Path) -> Path:
    """A throwaway project root that indexes ``package`` in strict mode."""
    root = Path(tempfile.mkdtemp(prefix="guarded-bench-"))
    (root / "pyproject.toml").write_text(
        f'[tool.django-guarded]\nstrict = true\nindex-paths = ["{package.as_posix()}"]\n',
        encoding="utf-8",
    )
    flake8 = "[flake8]\nguarded-strict = true\n"
    if not plugin_installed():
        flake8 += (
            "[flake8:local-plugins]\nextension =\n"
            "    GRD = django_guarded.checker.flake8:GuardedChecker\n"
            f"paths = {ROOT}\n"
        )
    (root / ".flake8").write_text(flake8, encoding="utf-8")
    return root


def clear_cache(root: Path) -> None:
    shutil.rmtree(root / ".django-guarded-cache", ignore_errors=True)


def timed(
    command: list[str], cwd: Path, *, before: Callable[[], None] | None = None
) -> tuple[float, float]:
    """Wall time and CPU time (user + system, worker processes included) of one run."""
    if before is not None:
        before()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    return wall, cpu


def best(
    command: list[str], cwd: Path, *, before: Callable[[], None] | None = None
) -> tuple[float, float]:
    """The lowest wall time and the lowest CPU time over ``REPEAT`` runs."""
    runs = [timed(command, cwd, before=before) for _ in range(REPEAT)]
    return min(w for w, _ in runs), min(c for _, c in runs)


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).rjust(w) for c, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(c).rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines)


def findings_part(projects: list[tuple[str, Path]]) -> None:
    print("Strict mode over installed sources (in-process; cold = empty index cache)\n")
    codes = sorted(RULES)
    rows = []
    sample_pool = []
    for name, package in projects:
        root = make_root(package)
        clear_cache(root)
        project, cold = run([package], root=root)
        _, warm = run([package], root=root)
        assert [f.line for f in cold.findings] == [f.line for f in warm.findings]
        stats = project.index.stats
        by_code = Counter(f.code for f in warm.findings)
        rows.append(
            [
                name,
                str(warm.files),
                str(warm.lines),
                str(warm.checked),
                str(len(warm.findings)),
                *[str(by_code.get(code, "")) for code in codes],
                f"{cold.seconds:.2f}",
                f"{warm.seconds:.2f}",
                str(stats.external_parsed),
            ]
        )
        sample_pool += [(name, f) for f in warm.findings]
        shutil.rmtree(root, ignore_errors=True)
    header = ["project", "files", "lines", "walked", "found", *codes, "cold s", "warm s", "ext"]
    print(table(rows, header))
    print("\nwalked: files naming a model (the rest cannot produce a finding and are not parsed);")
    print("ext: installed modules outside the project read to follow model base classes.\n")
    rng = random.Random(20240601)
    sample = rng.sample(sample_pool, min(SAMPLE, len(sample_pool)))
    print(f"Sample of {len(sample)} findings, to check by hand:\n")
    for name, finding in sorted(sample, key=lambda pair: (pair[1].path, pair[1].line)):
        short = finding.path.split("site-packages/")[-1]
        print(f"[{name}] {short}:{finding.line} {finding.code}")
        print(f"    {finding.source}")


def speed_part(projects: list[tuple[str, Path]]) -> bool:
    print(f"\nSpeed, best of {REPEAT} runs each, same files, each in its own process\n")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average when starting: {load:.2f}\n")
    python = sys.executable
    rows = []
    all_met = True
    for name, package in projects:
        root = make_root(package)
        files = [str(p) for p in iter_python_files([package])]
        checker = [python, "-m", "django_guarded.checker", "--root", str(root), "--no-baseline"]
        checker += ["--strict", *files]
        pyflakes = best([python, "-m", "pyflakes", *files], root)
        cold = best(checker, root, before=partial(clear_cache, root))
        timed(checker, root)
        warm = best(checker, root)
        flake8_f = best([python, "-m", "flake8", "--select=F", *files], root)
        grd = [python, "-m", "flake8", "--select=F,GRD", *files]
        flake8_cold = best(grd, root, before=partial(clear_cache, root))
        timed(grd, root)
        flake8_warm = best(grd, root)
        for label, mine, theirs, target in (
            ("checker (cold cache) / pyflakes", cold, pyflakes, PYFLAKES_TARGET),
            ("checker (warm cache) / pyflakes", warm, pyflakes, PYFLAKES_TARGET),
            ("flake8 F,GRD (cold) / flake8 F", flake8_cold, flake8_f, FLAKE8_TARGET),
            ("flake8 F,GRD (warm) / flake8 F", flake8_warm, flake8_f, FLAKE8_TARGET),
        ):
            cells = []
            for index in (0, 1):  # wall time, then CPU time
                ratio = mine[index] / theirs[index]
                met = ratio <= target
                all_met &= met
                cells += [f"{mine[index]:.2f}/{theirs[index]:.2f}", f"{ratio:.2f}x"]
                cells.append("met" if met else "NOT met")
            rows.append([name, label, f"<= {target}x", *cells])
        shutil.rmtree(root, ignore_errors=True)
    header = ["project", "comparison", "target", "wall s", "ratio", "", "CPU s", "ratio", ""]
    print(table(rows, header))
    print("\nwall s / CPU s: ours/theirs. CPU time is user + system of every process involved;")
    print("it moves less than wall time when the machine is busy with other work.")
    return all_met


def main() -> int:
    projects = installed_projects()
    if not projects:
        print("No Django project installed here: pip install django wagtail", file=sys.stderr)
        return 1
    missing = [n for n in ("pyflakes", "flake8") if importlib.util.find_spec(n) is None]
    print("Projects: " + ", ".join(f"{name} ({path})" for name, path in projects))
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs\n")
    findings_part(projects)
    if missing:
        print(f"\nSpeed comparison skipped: {', '.join(missing)} not installed", file=sys.stderr)
        return 1
    met = speed_part(projects)
    print("\nAll speed targets met." if met else "\nSome speed targets were NOT met.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
