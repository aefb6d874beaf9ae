"""Inline ignore comments: ``-- lint-ignore rule-a, rule-b: why it is safe here`` (pure).

One syntax for squawk's rules and ours. A comment silences the rules it names for the statement that
follows it (any comment between the previous statement and the end of this one counts, so a statement
spanning many lines is covered whole). The reason after ``:`` is required; a comment without one, or naming
an unknown rule, silences nothing and is itself reported (``lint-ignore-invalid``). So is squawk's own
``-- squawk-ignore`` / ``-- squawk-ignore-file``, which squawk never sees (:mod:`.squawk`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .. import sql

MARKER = "lint-ignore"
_COMMENT_RE = re.compile(r"^--\s*lint-ignore\b\s*(?P<rules>[^:]*?)\s*(?::\s*(?P<reason>.*?))?\s*$")
_NAME_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_START_RE = re.compile(r"^--\s*lint-ignore\b")
_SQUAWK_RE = re.compile(r"^(--|/\*)\s*squawk-ignore")
SQUAWKS = "squawk's own ignore comment silences nothing here: write `-- lint-ignore rule-name: reason`"


@dataclass(frozen=True)
class Invalid:
    """A lint-ignore comment that silences nothing, and why."""

    offset: int
    problem: str


@dataclass
class Ignores:
    """The rules silenced per statement (by index), with their reasons, and the invalid comments."""

    rules: list[dict[str, str]] = field(default_factory=list)
    invalid: list[Invalid] = field(default_factory=list)

    def silenced(self, index: int | None, rule: str) -> str | None:
        """Return the reason ``rule`` is silenced for statement ``index`` (None: it is not)."""
        if index is None or index >= len(self.rules):
            return None
        return self.rules[index].get(rule)


def _parse(text: str, offset: int, known: frozenset[str]) -> tuple[dict[str, str], Invalid | None]:
    match = _COMMENT_RE.match(text.strip())
    if match is None:
        return {}, Invalid(offset, "write it as `-- lint-ignore rule-name: reason`")
    names = [n.strip() for n in match.group("rules").replace(",", " ").split() if n.strip()]
    reason = (match.group("reason") or "").strip()
    if not names:
        return {}, Invalid(offset, "it names no rule")
    unknown = [n for n in names if not _NAME_RE.match(n) or n not in known]
    if unknown:
        return {}, Invalid(offset, f"unknown rule {', '.join(unknown)}")
    if not reason:
        return {}, Invalid(offset, "it gives no reason after ':'")
    return dict.fromkeys(names, reason), None


def find(text: str, spans: Sequence[tuple[int, int]], known: frozenset[str]) -> Ignores:
    """Return the ignores of a file's statements (``spans``: each statement's start and end offsets)."""
    out = Ignores(rules=[{} for _ in spans])
    if MARKER not in text and "squawk-ignore" not in text:
        return out
    for start, end in sql.comment_spans(text):
        comment = text[start:end]
        if _SQUAWK_RE.match(comment.strip()):
            out.invalid.append(Invalid(start, SQUAWKS))
            continue
        if not _START_RE.match(comment.strip()):
            continue  # only comments that start with lint-ignore are ignore comments
        rules, invalid = _parse(comment, start, known)
        if invalid is not None:
            out.invalid.append(invalid)
            continue
        index = next((i for i, (_s, stop) in enumerate(spans) if start < stop), None)
        if index is None:
            out.invalid.append(Invalid(start, "no statement follows it"))
            continue
        out.rules[index].update(rules)
    return out
