"""Play a page that builds a project, as a reader would type it, in an empty directory.

A page such as ``docs/getting-started.md`` is a sequence of fences, each of which is
run in order:

- ```` ```console ````: each ``$ command`` line runs in the current directory, with
  ``python`` standing for this interpreter and ``django-admin`` for ``python -m
  django``; ``cd DIR`` changes the directory, and ``export NAME=VALUE ...`` the
  environment of the commands that follow (but for the names the caller fixes, so
  that a test keeps its files in its own directory). The lines under a command, up to the next
  ``$``, are its output (standard output, then standard error), compared exactly but
  for lines ``...``, which stand for any lines; a command with no lines under it must
  print nothing. The command must exit 0, unless
  its output ends with Django's ``CommandError:`` line: then it must fail.
- ```` ```python title="PATH" ````: the content of the file ``PATH``, written (or, for
  the files the caller names, added at the end, as a page says of settings).
- ```` ```python ```` without a title: typed into ``python manage.py shell``; a
  ```` ```text ```` fence right after it is what it prints.

Commands the page only describes (an interactive prompt, a server that runs until
stopped) are replaced by the caller's `Override` for that exact command line, which
checks what the page says they do. Any other fence fails the page: every block runs.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

FENCE = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
TITLE = re.compile(r'title="([^"]+)"')


@dataclass(frozen=True)
class Fence:
    """One fenced block of the page."""

    language: str
    title: str | None
    text: str
    line: int

    def __str__(self) -> str:
        return f"the ```{self.language} block at line {self.line}"


@dataclass(frozen=True)
class Output:
    """What a command printed and how it exited."""

    text: str
    returncode: int


#: Runs a command in the project's current directory, instead of the command itself.
Override = Callable[[Path], Output]


class PageFailed(AssertionError):
    """A block of the page did not do what the page says."""


def fences(page: Path) -> list[Fence]:
    """The fenced blocks of ``page``, in order."""
    text = page.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        title = TITLE.search(match[2])
        line = text.count("\n", 0, match.start()) + 1
        found.append(Fence(match[1], title[1] if title else None, match[3], line))
    return found


def environment() -> dict[str, str]:
    """The environment of every command: this one, without the test suite's settings."""
    return {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)}


def run(argv: list[str], cwd: Path, env: Mapping[str, str] | None = None) -> Output:
    """Run ``argv`` in ``cwd`` (with ``env`` added to `environment`); its standard
    output, then its standard error."""
    done = subprocess.run(
        argv,
        cwd=cwd,
        env={**environment(), **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return Output(done.stdout + done.stderr, done.returncode)


def _argv(command: str) -> list[str]:
    words = shlex.split(command)
    if words[0] == "python":
        return [sys.executable, *words[1:]]
    if words[0] == "django-admin":
        return [sys.executable, "-m", "django", *words[1:]]
    return words


def _commands(text: str) -> Iterator[tuple[str, list[str]]]:
    """Each ``$ command`` of a console block with the output lines under it."""
    command: str | None = None
    output: list[str] = []
    for line in text.splitlines():
        if line.startswith("$ "):
            if command is not None:
                yield command, output
            command, output = line[2:].strip(), []
        elif command is None:
            raise PageFailed(f"console output {line!r} before any command")
        else:
            output.append(line.rstrip())
    if command is not None:
        yield command, output


def matches(expected: list[str], printed: list[str]) -> bool:
    """Whether ``printed`` is ``expected``, where a line ``...`` stands for any lines."""
    pattern = "".join(
        "(?:.*\n)*?" if line == "..." else re.escape(line) + "\n" for line in expected
    )
    return re.fullmatch(pattern, "".join(line + "\n" for line in printed)) is not None


def _compare(what: str, expected: list[str], output: Output) -> None:
    printed = [line.rstrip() for line in output.text.strip("\n").splitlines()]
    if not matches(expected, printed):
        raise PageFailed(f"{what} printed:\n{output.text}\nThe page shows:\n" + "\n".join(expected))
    fails = bool(expected) and expected[-1].startswith("CommandError:")
    if (output.returncode != 0) != fails:
        raise PageFailed(f"{what} exited with status {output.returncode}:\n{output.text}")


class Project:
    """The directory a page builds its project in, and where its shell stands."""

    def __init__(
        self,
        root: Path,
        overrides: Mapping[str, Override],
        appended: Collection[str],
        env: Mapping[str, str],
    ) -> None:
        self.cwd = root
        self.overrides = overrides
        self.appended = appended
        self.fixed = dict(env)
        self.env = dict(env)
        self.played: list[str] = []

    def export(self, command: str) -> None:
        for word in shlex.split(command)[1:]:
            name, _, value = word.partition("=")
            if name not in self.fixed:
                self.env[name] = value

    def console(self, fence: Fence) -> None:
        for command, expected in _commands(fence.text):
            self.played.append(command)
            if command.startswith("cd "):
                self.cwd = (self.cwd / command[3:].strip()).resolve()
                continue
            if command.startswith("export "):
                self.export(command)
                continue
            override = self.overrides.get(command)
            output = override(self.cwd) if override else run(_argv(command), self.cwd, self.env)
            _compare(f"`{command}` ({fence})", expected, output)

    def write(self, fence: Fence) -> None:
        assert fence.title is not None
        path = self.cwd / fence.title
        if fence.title in self.appended:
            with path.open("a", encoding="utf-8") as file:
                file.write("\n" + fence.text)
        else:
            path.write_text(fence.text, encoding="utf-8")
        self.played.append(f"write {fence.title}")

    def shell(self, fence: Fence, expected: Fence | None) -> None:
        # -v 0: no "N objects imported automatically" line (Django 5.2 and later).
        argv = [sys.executable, "manage.py", "shell", "-v", "0", "-c", fence.text]
        self.played.append(f"shell block at line {fence.line}")
        output = run(argv, self.cwd, self.env)
        lines = expected.text.rstrip("\n").splitlines() if expected else []
        _compare(str(fence), lines, output)


def steps(page: Path) -> int:
    """How many steps `play` takes for ``page``: each command, file and shell block."""
    count = 0
    for fence in fences(page):
        if fence.language == "console":
            count += sum(1 for line in fence.text.splitlines() if line.startswith("$ "))
        elif fence.language == "python":
            count += 1
    return count


def play(
    page: Path,
    root: Path,
    overrides: Mapping[str, Override] | None = None,
    appended: Collection[str] = (),
    env: Mapping[str, str] | None = None,
) -> list[str]:
    """Run every block of ``page`` in ``root``; return what was done, step by step.

    ``env`` is added to every command's environment, whatever the page exports.
    Raises `PageFailed` at the first block that does not do what the page says.
    """
    project = Project(root, overrides or {}, appended, env or {})
    blocks = fences(page)
    index = 0
    while index < len(blocks):
        fence = blocks[index]
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        if fence.language == "console":
            project.console(fence)
        elif fence.language == "python" and fence.title:
            project.write(fence)
        elif fence.language == "python":
            expected = following if following and following.language == "text" else None
            project.shell(fence, expected)
            index += expected is not None
        else:
            raise PageFailed(f"{fence} is neither run nor written (see {__name__})")
        index += 1
    return project.played
