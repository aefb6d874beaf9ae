"""The benchmark's table row and number formats, shared by scripts/benchmark.py and its row groups."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TASKS_PY = "from migrations_tasks import namespace\n\nns = namespace()\n"


@dataclass
class Row:
    workload: str
    requests: str = "-"
    wall: str = "-"
    overhead: str = "-"
    memory: str = "-"
    ratio: str = "-"
    note: str = ""


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def median(values: list[float]) -> float:
    return statistics.median(values)
