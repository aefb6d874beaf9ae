"""Aggregates and text search objects into SQL, pure: the ``other objects`` part in, statements out."""

from __future__ import annotations

from typing import Any

from migrations_tasks.authoring.pull.others import others
from migrations_tasks.catalog import Snapshot

TOTAL = "aggregate public.total(integer)"
CONFIG = "text search configuration public.simple_en"


def aggregate(**fields: Any) -> dict[str, Any]:
    base = {"kind": "n", "transition": "int4pl", "state": "integer", "final": "-", "combine": "-", "serial": "-"}
    return {**base, "deserial": "-", "initial": "0", "sort": "0", "moving": "-", "parallel": "u", **fields}


def test_a_changed_aggregate_is_replaced_in_place_with_every_option_it_has() -> None:
    script = others(
        Snapshot({}, {}, {"other objects": {TOTAL: aggregate()}}),
        Snapshot({}, {}, {"other objects": {TOTAL: aggregate(initial="1", parallel="s")}}),
    )
    (step,) = script.steps
    assert step.sql == (
        "CREATE OR REPLACE AGGREGATE public.total(integer) (\n    SFUNC = int4pl,\n    STYPE = integer,\n"
        "    INITCOND = '1',\n    PARALLEL = SAFE\n)"
    )


def test_a_moving_aggregate_is_refused_with_its_name() -> None:
    script = others(Snapshot({}, {}, {}), Snapshot({}, {}, {"other objects": {TOTAL: aggregate(moving="int4pl")}}))
    assert script.steps == [] and script.unsupported[0].startswith(f"{TOTAL}: an ordered-set or moving aggregate")


def test_a_text_search_mapping_is_altered_added_and_dropped_by_token_alias() -> None:
    before = {"parser": "pg_catalog.default", "mappings": ["asciiword: english_stem", "email: simple"]}
    after = {"parser": "pg_catalog.default", "mappings": ["asciiword: simple", "word: simple", "word: english_stem"]}
    script = others(
        Snapshot({}, {}, {"other objects": {CONFIG: before}}), Snapshot({}, {}, {"other objects": {CONFIG: after}})
    )
    alter = "ALTER TEXT SEARCH CONFIGURATION public.simple_en"
    assert [s.sql for s in script.ordered()] == [
        f"{alter} DROP MAPPING FOR email",
        f"{alter} ALTER MAPPING FOR asciiword WITH simple",
        f"{alter} ADD MAPPING FOR word WITH simple, english_stem",
    ]
