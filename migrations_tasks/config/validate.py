"""Collect configuration problems, and read plain config values into typed ones (pure).

Every settings reader validates through :class:`Problems`: each reader method checks one value, records
what is wrong with it (naming the key, e.g. ``deploy.hosts[1].port``) and returns a usable default, so a
user sees every problem of a file at once, as one :class:`~migrations_tasks.errors.ConfigError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from ..errors import ConfigError

T = TypeVar("T")


class Problems:
    """Collects configuration problems so the user sees all of them at once.

    With a ``heading`` (``"invoke.yaml"``) the problems are raised as one list under it, with ``hint``;
    without, a single problem is raised as it is (keeping its own hint) and several are joined by lines.
    """

    def __init__(self, *, heading: str | None = None, hint: str | None = None) -> None:
        self.heading = heading
        self.hint = hint
        self.items: list[ConfigError] = []

    def add(self, where: str, problem: str) -> None:
        """Record that the value at ``where`` has ``problem`` (a sentence that follows the key)."""
        self.items.append(ConfigError(f"{where} {problem}"))

    def add_error(self, error: ConfigError) -> None:
        """Record a problem found by another reader."""
        self.items.append(error)

    def attempt(self, reader: Callable[..., T], *args: Any) -> T | None:
        """Return ``reader(*args)``, or None after recording the ConfigError it raised."""
        try:
            return reader(*args)
        except ConfigError as exc:
            self.items.append(exc)
            return None

    def raise_if_any(self) -> None:
        """Raise one ConfigError holding every problem recorded, if any."""
        if not self.items:
            return
        if self.heading is None:
            if len(self.items) == 1:
                raise self.items[0]  # keeps its hint apart from its message
            raise ConfigError("\n".join(str(e) for e in self.items))
        if len(self.items) == 1:
            raise ConfigError(f"{self.heading}: {self.items[0].message}", hint=self.hint)
        body = "\n".join(f"- {e.message}" for e in self.items)
        raise ConfigError(f"{self.heading} has problems:\n{body}", hint=self.hint)

    # -- readers: check one plain value, record what is wrong, return something usable -------------------

    def text(self, where: str, value: Any, *, required: bool = False) -> str | None:
        """Return a one-line string (numbers accepted), or None."""
        if value is None or value == "":
            if required:
                self.add(where, "is required.")
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.add(where, f"must be a string, not {type(value).__name__}.")
            return None
        text = str(value)
        if any(ch in text for ch in "\n\r\0"):
            self.add(where, "must be one line without NUL characters.")
            return None
        return text

    def list(self, where: str, value: Any) -> list[Any]:
        """Return a list (a single string counts as a list of one)."""
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        if isinstance(value, Sequence) and not isinstance(value, (bytes, Mapping)):
            return [*value]
        self.add(where, f"must be a list, not {type(value).__name__}.")
        return []

    def strings(self, where: str, value: Any) -> tuple[str, ...]:
        """Return a list of one-line strings."""
        out: list[str] = []
        for i, item in enumerate(self.list(where, value)):
            text = self.text(f"{where}[{i}]", item, required=True)
            if text is not None:
                out.append(text)
        return tuple(out)

    def commands(self, where: str, value: Any) -> tuple[str, ...]:
        """Return shell commands; they may span lines (a YAML block), only NUL is refused."""
        out: list[str] = []
        for i, item in enumerate(self.list(where, value)):
            if not isinstance(item, str) or not item.strip():
                self.add(f"{where}[{i}]", "must be a non-empty shell command.")
            elif "\0" in item:
                self.add(f"{where}[{i}]", "must not contain NUL characters.")
            else:
                out.append(item)
        return tuple(out)

    def number(self, where: str, value: Any, default: float, *, minimum: float = 0.0, integer: bool = False) -> float:
        """Return a number of at least ``minimum`` (a whole one with ``integer``), else ``default``."""
        if value is None:
            return default
        try:
            if isinstance(value, bool):
                raise TypeError
            number = float(value)
            if integer and number != int(number):
                raise ValueError
        except (TypeError, ValueError):
            kind = "a whole number" if integer else "a number"
            self.add(where, f"must be {kind}, not {value!r}.")
            return default
        if number < minimum or number != number:  # NaN
            self.add(where, f"must be at least {minimum:g}.")
            return default
        return number

    def boolean(self, where: str, value: Any, default: bool) -> bool:
        """Return true/false (yes/no, on/off, 1/0 accepted)."""
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("yes", "true", "on", "1", "no", "false", "off", "0"):
            return value.strip().lower() in ("yes", "true", "on", "1")
        self.add(where, f"must be true or false, not {value!r}.")
        return default

    def mapping(self, where: str, value: Any) -> Mapping[str, Any]:
        """Return a mapping (empty when absent)."""
        if value is None:
            return {}
        if isinstance(value, Mapping):
            return value
        self.add(where, f"must be a mapping, not {type(value).__name__}.")
        return {}

    def unknown_keys(self, where: str, spec: Mapping[str, Any], known: set[str]) -> None:
        """Record keys of ``spec`` that are not ``known``."""
        unknown = set(spec) - known
        if unknown:
            self.add(where, f"has unknown keys: {', '.join(sorted(map(str, unknown)))}.")
