"""Publications that change kind, and schemas published whole: differences into SQL (pure).

PostgreSQL cannot turn a publication ``FOR ALL TABLES`` into one with a list (or back): it is dropped and
made again, with its options, its comment and every member the target gives it (:func:`switched` tells
:mod:`.properties` not to remove the old members one by one). ``FOR TABLES IN SCHEMA`` members are the
``publication tables`` part's ``pub: tables in schema s`` entries: added and dropped with
``ALTER PUBLICATION ... ADD / DROP TABLES IN SCHEMA``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ...catalog import Snapshot
from ...sql import quote_literal
from .steps import Phase, Script

_IDENT = r'"(?:[^"]|"")*"|[^":\s]+'
_SCHEMA_MEMBER = re.compile(rf"^({_IDENT}): tables in schema ({_IDENT})$")


def _publications(snapshot: Snapshot) -> Mapping[str, Any]:
    return snapshot.parts.get("publications") or {}


def switched(source: Snapshot, target: Snapshot) -> set[str]:
    """Return the publications both have, ``FOR ALL TABLES`` in one and not in the other (made again)."""
    have, want = _publications(source), _publications(target)
    return {n for n in set(have) & set(want) if bool(have[n].get("all tables")) != bool(want[n].get("all tables"))}


def remake(name: str, value: Mapping[str, Any], options: str, target: Snapshot, script: Script) -> None:
    """Add DROP and CREATE PUBLICATION for a publication that changes kind, and its comment again."""
    every = " FOR ALL TABLES" if value.get("all tables") else ""
    script.add(f"DROP PUBLICATION {name}", Phase.CHANGE, 0, f"drop publication {name} to make it again")
    script.add(f"CREATE PUBLICATION {name}{every} WITH ({options})", Phase.CHANGE, 0, f"make publication {name} again")
    comment = target.items("comments").get(f"publication {name}")
    if comment is not None and comment.get("text") is not None:
        sql = f"COMMENT ON PUBLICATION {name} IS {quote_literal(str(comment['text']))}"
        script.add(sql, Phase.FLAGS, 0, f"comment on publication {name}")


def _schema_members(snapshot: Snapshot) -> set[tuple[str, str]]:
    members = snapshot.parts.get("publication tables") or {}
    found = (_SCHEMA_MEMBER.match(str(key)) for key, value in members.items() if value is True)
    return {(m.group(1), m.group(2)) for m in found if m}


def schema_members(source: Snapshot, target: Snapshot) -> Script:
    """Return ALTER PUBLICATION ... ADD / DROP TABLES IN SCHEMA; a publication made (again) gets all of its own."""
    script = Script()
    fresh = set(_publications(target)) - set(_publications(source)) | switched(source, target)
    have, want = _schema_members(source), _schema_members(target)
    for pub, schema in sorted(want):
        if pub in fresh or (pub, schema) not in have:
            sql = f"ALTER PUBLICATION {pub} ADD TABLES IN SCHEMA {schema}"
            script.add(sql, Phase.FLAGS, 0, f"add the tables in schema {schema} to publication {pub}")
    gone = set(_publications(source)) - set(_publications(target))
    for pub, schema in sorted(have - want):
        if pub not in gone and pub not in fresh:
            sql = f"ALTER PUBLICATION {pub} DROP TABLES IN SCHEMA {schema}"
            script.add(sql, Phase.FLAGS, 0, f"remove the tables in schema {schema} from publication {pub}")
    return script
