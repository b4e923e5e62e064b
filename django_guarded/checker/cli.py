"""``django-guarded-check``: the standalone command (also ``python -m django_guarded.checker``).

Exit status: 0 when nothing is reported, 1 when something is, 2 when the
command line or the configuration is wrong.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from django_guarded.checker import baseline as baselines
from django_guarded.checker.baseline import BaselineError
from django_guarded.checker.config import ConfigError
from django_guarded.checker.report import FORMATS, render
from django_guarded.checker.runner import run

__version__ = "0.1.0"


def build_parser() -> argparse.ArgumentParser:
    """The command's argument parser."""
    parser = argparse.ArgumentParser(
        prog="django-guarded-check",
        description=(
            "Report writes to Django models made from outside the model's own methods "
            "and managers. Reads [tool.django-guarded] in pyproject.toml."
        ),
    )
    parser.add_argument("paths", nargs="*", type=Path, help="files or folders (default: .)")
    parser.add_argument(
        "--strict",
        action="store_true",
        default=None,
        help="apply the write rules to every Django model",
    )
    parser.add_argument(
        "--fsm",
        action="store_true",
        default=None,
        help="django-fsm mode: their FSM fields are guarded, GRD601 is on",
    )
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format")
    parser.add_argument("--root", type=Path, help="project root (default: found from the paths)")
    parser.add_argument("--baseline", metavar="FILE", help="baseline file (relative to the root)")
    parser.add_argument(
        "--no-baseline", action="store_true", help="report everything, ignoring the baseline"
    )
    parser.add_argument(
        "--write-baseline",
        action="store_true",
        help="record the current findings in the baseline file and exit 0",
    )
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    parser.add_argument("--ignore", metavar="CODES", help="comma-separated codes or prefixes")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even with findings")
    parser.add_argument(
        "--stats", action="store_true", help="print files, lines, timings and cache use to stderr"
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def _overrides(args: argparse.Namespace) -> dict[str, object]:
    overrides: dict[str, object] = {}
    if args.strict:
        overrides["strict"] = True
    if args.fsm:
        overrides["fsm"] = True
    if args.baseline:
        overrides["baseline"] = args.baseline
    if args.no_cache:
        overrides["cache"] = False
    if args.ignore:
        overrides["ignore"] = args.ignore
    return overrides


def main(
    argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run the command; return the exit status. Output goes to ``out`` and ``err``
    (standard output and error by default)."""
    out = out or sys.stdout
    err = err or sys.stderr
    args = build_parser().parse_args(argv)
    paths = args.paths or [Path(".")]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        print(f"django-guarded-check: no such file or folder: {', '.join(missing)}", file=err)
        return 2
    use_baseline = not (args.no_baseline or args.write_baseline)
    try:
        project, result = run(
            paths, root=args.root, overrides=_overrides(args), use_baseline=use_baseline
        )
    except (ConfigError, BaselineError) as exc:
        print(f"django-guarded-check: {exc}", file=err)
        return 2
    for error in result.errors:
        print(f"django-guarded-check: {error}", file=err)
    if args.stats:
        stats = project.index.stats
        print(
            f"files {result.files}, lines {result.lines}, walked {result.checked}, "
            f"index: {stats.files} files ({stats.parsed} parsed, {stats.cached} cached), "
            f"{stats.external_parsed + stats.external_cached} installed modules "
            f"({stats.external_parsed} parsed), {result.seconds:.3f}s",
            file=err,
        )
    if args.write_baseline:
        target = project.root / project.config.baseline
        counts = baselines.build(result.unfiltered, project.baseline_key_path)
        baselines.write(target, counts)
        print(f"wrote {len(result.unfiltered)} finding(s) to {target}", file=err)
        return 0
    text = render(result.findings, args.format)
    if text:
        out.write(text)
    if result.baselined and args.format == "text":
        print(f"{result.baselined} finding(s) hidden by the baseline", file=err)
    failed = bool(result.findings or result.errors)
    return 1 if failed and not args.exit_zero else 0
