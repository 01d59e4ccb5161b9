"""docs/tutorial-add-a-table.md, replayed: every command in it runs, every output it shows is checked.

The tutorial is written for a terminal in the root of a crq clone. Its fenced blocks are of two kinds:

* ``console``: lines ``$ command`` (a heredoc's lines and ``\\`` continuations belong to the command),
  each followed by the output the doc shows. Each command runs in bash, in the order of the doc, in a
  folder holding a copy of ``semantic/models/cloud_inventory.yaml`` (as a clone does), with a
  ``CRQ_HOME`` of its own (its own embedded PostgreSQL). It must succeed, and the shown output must
  appear in stdout followed by stderr: its lines in order and together, a line ``...`` standing for
  any lines, ``...`` inside a line for any text (paths, timings).
* ``diff``: an edit of a file named by its ``--- file`` header: the context and ``-`` lines must occur
  exactly once in the file and become the context and ``+`` lines.

So the tutorial cannot rot: when crq's output or behaviour changes, this test names the step.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "docs" / "tutorial-add-a-table.md"
BIN = Path(sys.executable).parent
FENCE = re.compile(r"^```(\w+)\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)
HEREDOC = re.compile(r"<<-?\s*'?\"?(\w+)'?\"?")


@dataclass(frozen=True)
class Command:
    line: int  # in the doc, for messages
    text: str
    shown: tuple[str, ...]  # the output the doc shows


@dataclass(frozen=True)
class Edit:
    line: int
    file: str
    old: str
    new: str


Step = Command | Edit


def steps(doc: str) -> list[Step]:
    out: list[Step] = []
    for m in FENCE.finditer(doc):
        line = doc[: m.start()].count("\n") + 2
        kind, body = m[1], m[2]
        if kind == "console":
            out += _commands(body, line)
        elif kind == "diff":
            out.append(_edit(body, line))
    return out


def _commands(body: str, first: int) -> list[Command]:
    lines = body.splitlines()
    commands: list[Command] = []
    i = 0
    while i < len(lines):
        if not lines[i].startswith("$ "):
            raise AssertionError(f"tutorial line {first + i}: output before any command: {lines[i]!r}")
        start, text = i, lines[i][2:]
        i += 1
        while text.endswith("\\") and i < len(lines):
            text += "\n" + lines[i]
            i += 1
        heredoc = HEREDOC.search(text)
        if heredoc:
            while i < len(lines):
                text += "\n" + lines[i]
                i += 1
                if lines[i - 1].strip() == heredoc[1]:
                    break
        shown = []
        while i < len(lines) and not lines[i].startswith("$ "):
            shown.append(lines[i])
            i += 1
        commands.append(Command(first + start, text, tuple(shown)))
    return commands


def _edit(body: str, line: int) -> Edit:
    lines = body.splitlines()
    assert lines[0].startswith("--- ") and lines[1].startswith("+++ "), f"tutorial line {line}: diff header"
    old, new = [], []
    for text in lines[2:]:
        mark, rest = text[:1], text[1:]
        if mark in (" ", ""):
            old.append(rest)
            new.append(rest)
        elif mark == "-":
            old.append(rest)
        elif mark == "+":
            new.append(rest)
        else:
            raise AssertionError(f"tutorial line {line}: not a diff line: {text!r}")
    return Edit(line, lines[0][4:].strip(), "\n".join(old) + "\n", "\n".join(new) + "\n")


def _pattern(shown: tuple[str, ...]) -> re.Pattern[str]:
    parts = []
    for text in shown:
        if text.strip() == "...":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append(".*".join(re.escape(p) for p in text.rstrip().split("...")) + r"[ \t]*\n")
    return re.compile("^" + "".join(parts), re.MULTILINE)


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRQ_", "OPENAI_", "PG"))}
    env |= {"CRQ_HOME": str(home), "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}", "COLUMNS": "160"}
    return env


def test_the_tutorial_parses_into_commands_and_edits() -> None:
    """The parser itself, on a small document: a heredoc, a continuation, shown output, a diff."""
    doc = (
        "```console\n$ cat > a.sql <<'SQL'\nSELECT 1;\nSQL\n$ echo a \\\n  b\na b\n```\n"
        "```diff\n--- m.yaml\n+++ m.yaml\n tables:\n+  - name: x\n```\n"
    )
    assert steps(doc) == [
        Command(2, "cat > a.sql <<'SQL'\nSELECT 1;\nSQL", ()),
        Command(5, "echo a \\\n  b", ("a b",)),
        Edit(10, "m.yaml", "tables:\n", "tables:\n  - name: x\n"),
    ]
    assert _pattern(("x ... y", "...", "z")).search("a\nx 1 y\nq\nz\n")
    assert not _pattern(("x", "z")).search("x\nq\nz\n")  # shown lines are together unless '...'


def test_every_command_of_the_tutorial_runs_and_prints_what_it_shows(tmp_path: Path) -> None:
    all_steps = steps(TUTORIAL.read_text())
    assert sum(isinstance(s, Command) for s in all_steps) >= 15 and any(
        isinstance(s, Edit) for s in all_steps
    )
    work = tmp_path / "clone"
    (work / "semantic" / "models").mkdir(parents=True)
    shutil.copy(ROOT / "semantic" / "models" / "cloud_inventory.yaml", work / "semantic" / "models")
    env = _env(tmp_path / "crq-home")
    try:
        for step in all_steps:
            if isinstance(step, Edit):
                path = work / step.file
                text = path.read_text()
                assert text.count(step.old) == 1, (
                    f"tutorial line {step.line}: the diff's context is not in {step.file} once"
                )
                path.write_text(text.replace(step.old, step.new))
                continue
            p = subprocess.run(
                ["bash", "-e", "-o", "pipefail", "-c", step.text],
                cwd=work, env=env, capture_output=True, text=True, timeout=300,
            )  # fmt: skip
            said = f"tutorial line {step.line}: $ {step.text}\n--- stdout\n{p.stdout}\n--- stderr\n{p.stderr}"
            assert p.returncode == 0, said
            if step.shown:
                assert _pattern(step.shown).search(p.stdout + p.stderr), (
                    f"output differs from the doc; {said}"
                )
    finally:  # the tutorial ends with `crq db stop`; a failure half way must not leave the server up
        subprocess.run([str(BIN / "crq"), "db", "stop"], env=env, capture_output=True, timeout=60)
    gone = subprocess.run([str(BIN / "crq"), "db", "status"], env=env, capture_output=True, text=True)
    assert "is not running" in gone.stderr


@pytest.mark.parametrize("name", ["README.md", "docs/semantic-model.md"])
def test_the_tutorial_is_linked(name: str) -> None:
    assert "tutorial-add-a-table.md" in (ROOT / name).read_text()
