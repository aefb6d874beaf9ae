"""Hostile names for the sink tests: texts built from an adversarial alphabet, and checks that nothing escaped.

Every generated name holds the marker ``PWN`` inside a payload meant for one sink: a statement after a line
break (SQL), a workflow command at the start of a line (GitHub Actions), table cells and HTML (the step
summary), cursor and bidi controls (the terminal). A sink is safe when no payload took effect.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from pathlib import Path

from conftest import CANARY, Project

from migrations_tasks.engine import Engine
from migrations_tasks.history.migrations import load
from migrations_tasks.transport.connect import connect

#: Pieces names are made of: line ends PostgreSQL, editors and the Actions runner know, comment and quote
#: characters, dollar quotes, Markdown, ANSI, bidi and zero-width characters, multibyte letters.
ALPHABET = (
    "\n",
    "\r",
    "\r\n",
    "\u2028",
    "\u2029",
    "\x0b",
    "\x0c",
    "\x85",
    "::",
    "%",
    "$$",
    "$q$",
    "*/",
    "/*",
    "--",
    "'",
    '"',
    "\\",
    ";",
    "|",
    "`",
    "<",
    ">",
    "[",
    "]",
    "##[",
    "\x1b[2J",
    "\x1b]0;t\x07",
    "\u202e",
    "\u2066",
    "\u200b",
    "\ufeff",
    "\u00a0",
    "é",
    "漢",
    "x",
    " ",
)
#: Payloads, one per sink; {table} is a table whose rows must not change.
PAYLOADS = (
    "\ninsert into {table} values (7);--",
    "\rinsert into {table} values (8);--",
    "\u2028insert into {table} values (9);--",
    "\n::error title=PWN::injected",
    "\n::add-mask::PWN",
    "\r\n::stop-commands::PWN",
    "\n  ::warning file=PWN::x",
    " ##[error]PWN",
    " | PWN | <img src=x> <details open> [PWN](https://example.invalid) `",
    " https://PWN.example.invalid www.PWN.invalid pwn@example.invalid $PWN$",
    "\x1b[2J\x1b[31mPWN",
    "\u202ePWN\u2066",
)
MAX_BYTES = 63  # NAMEDATALEN - 1: PostgreSQL cuts longer names


def fit(name: str, limit: int = MAX_BYTES) -> str:
    """Return ``name`` cut to ``limit`` UTF-8 bytes at a character boundary."""
    while len(name.encode("utf-8")) > limit:
        name = name[:-1]
    return name


def names(seed: int, count: int, table: str) -> list[str]:
    """Return ``count`` distinct hostile names, each with a payload (and the marker) inside."""
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < count:
        payload = rng.choice(PAYLOADS).format(table=table)
        head = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 3)))
        tail = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 3)))
        name = fit(f"n{len(out)}{head}{payload}{tail}")
        if "\x00" not in name and name not in out:
            out.append(name)
    return out


def long_multibyte(seed: int) -> str:
    """Return a name of exactly 63 bytes of multibyte letters with a line break inside."""
    rng = random.Random(seed)
    text = "".join(rng.choice("éü漢字ñ") for _ in range(40))
    return fit("m\n" + text)


def ident(name: str) -> str:
    """Quote a name for the tests' own SQL (as PostgreSQL's quote_ident does)."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """Quote a text for the tests' own SQL as an escape-free literal (standard_conforming_strings on)."""
    return "'" + text.replace("'", "''") + "'"


_COMMANDS = {"group", "endgroup", "add-mask", "error", "warning", "notice", "debug"}
_HIDDEN_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def workflow_problems(output: str) -> list[str]:
    """Return the lines of ``output`` the Actions runner would run as a command the tool did not send."""
    problems = []
    for line in re.split(r"\r\n|\r|\n", output):
        if "##[" in line:
            problems.append(line)
        stripped = line.lstrip()
        if not stripped.startswith("::"):
            continue
        end = stripped.find("::", 2)
        info = stripped[2:end] if end > 0 else stripped[2:]
        command = info.split(" ")[0]
        if command not in _COMMANDS or "PWN" in info or (command == "add-mask" and "PWN" in stripped):
            problems.append(line)
    return problems


def terminal_problems(output: str) -> list[str]:
    """Return the hidden characters ``output`` shows raw (line feeds and tabs are fine)."""
    return sorted({repr(c) for c in _HIDDEN_RE.findall(output)})


def markdown_problems(summary: str) -> list[str]:
    """Return the table rows whose cell count differs from their header's, and lines with raw HTML, a link,
    an autolink or math."""
    rendered = re.compile(r"<[a-zA-Z/!]|(?<!\\)\]\(|(?<!\\)://|(?i:www)\.|(?<!\\)\$|(?<!\\)@")
    problems = [line for line in summary.splitlines() if rendered.search(line)]
    width = 0
    for line in summary.splitlines():
        if not line.startswith("|"):
            width = 0
            continue
        cells = len(re.findall(r"(?<!\\)\|", line)) - 1
        if width == 0:
            width = cells
        elif cells != width:
            problems.append(line)
    return problems


BASE = "public.base"
BASE_MIGRATION = (
    "20250101000000_base.sql",
    "create table public.base (id int primary key);\nalter table public.base enable row level security;\n"
    "create table public.notes (id int primary key, note text, body text);\n"
    "alter table public.notes enable row level security;\n",
)


def run(cwd: Path, env: dict[str, str], *args: str) -> tuple[int, str, str, Path]:
    """Run a task as GitHub Actions would; return the exit code, stdout and stderr (bytes decoded as they
    are: no newline translation, so a raw carriage return shows) and the step summary's path."""
    summary = cwd / "summary.md"
    full = {k: v for k, v in os.environ.items() if not k.startswith(("SUPABASE_", "MIGRATIONS_"))}
    full.update(env, GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary), GITHUB_OUTPUT=str(cwd / "out.txt"))
    done = subprocess.run([sys.executable, "-m", "invoke", *args], cwd=cwd, env=full, capture_output=True, timeout=300)
    out, err = done.stdout.decode("utf-8"), done.stderr.decode("utf-8")
    assert "Traceback" not in err, err
    assert out.count(CANARY) + err.count(CANARY) <= 1, "the token is printed once, inside ::add-mask::"
    return done.returncode, out, err, summary


def apply_all(project: Project, directory: Path) -> None:
    settings = project.settings(directory)
    db = connect(settings.target, settings)
    try:
        Engine(db, settings).apply(load(directory))
    finally:
        db.close()


def out_of_band(project: Project, sql: str) -> None:
    """Change the live database as the dashboard's SQL editor does: through the API."""
    status, body = project.sandbox.call("POST", f"/v1/projects/{project.ref}/database/query", {"query": sql})
    assert status == 201, body
