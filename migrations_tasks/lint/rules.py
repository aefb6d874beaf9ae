"""The rules ``db.lint`` knows: squawk's (by name), ours for Supabase, and their default levels (pure).

Every rule has a kebab-case name, a one-line message and a help text with the safe rewrite; the docs page
is ``docs/lint.md``. A level is ``error`` (exit 1), ``warn`` (reported, exit 0) or ``off``; the defaults
below can be changed per rule in invoke.yaml (``migrations.lint.rules``).
"""

from __future__ import annotations

from dataclasses import dataclass

ERROR, WARN, OFF = "error", "warn", "off"
LEVELS = (ERROR, WARN, OFF)
DOCS = "docs/lint.md"


#: squawk-cli 2.70's rule names (``prefer-timestamptz`` is an alias). A test checks them against the binary.
def words(text: str) -> frozenset[str]:
    """Return the whitespace-separated words of ``text``."""
    return frozenset(text.split())


SQUAWK_RULES = words(
    """
    adding-field-with-default adding-foreign-key-constraint adding-not-nullable-field adding-required-field
    adding-serial-primary-key-field ban-add-column ban-add-composite-attribute ban-add-enum-value
    ban-alter-database-options ban-alter-domain-with-add-constraint ban-alter-extension ban-alter-function-options
    ban-alter-generated-expression ban-alter-identity ban-alter-policy-condition ban-alter-policy-roles
    ban-alter-role-options ban-alter-row-level-security ban-alter-sequence-values ban-alter-system-options
    ban-alter-view-options ban-char-field ban-concurrent-index-creation-in-transaction
    ban-create-domain-with-constraint ban-create-policy ban-detach-inheritance ban-disable-trigger ban-drop-column
    ban-drop-constraint ban-drop-database ban-drop-default ban-drop-domain ban-drop-extension ban-drop-function
    ban-drop-generated-expression ban-drop-index ban-drop-not-null ban-drop-policy ban-drop-schema ban-drop-sequence
    ban-drop-table ban-drop-trigger ban-drop-type ban-drop-view ban-duplicate-column-assignments
    ban-new-write-restriction ban-replace-view-function ban-replica-identity ban-revoke ban-set-default
    ban-set-schema ban-truncate-cascade ban-uncommitted-transaction changing-column-type constraint-missing-not-valid
    disallowed-unique-constraint identifier-too-long prefer-bigint-over-int prefer-bigint-over-smallint
    prefer-identity prefer-repack prefer-robust-stmts prefer-text-field prefer-timestamp-tz prefer-timestamptz
    renaming-column renaming-object renaming-table require-concurrent-index-creation
    require-concurrent-index-deletion require-concurrent-partition-detach require-concurrent-reindex
    require-enum-value-ordering require-lock-timeout require-statement-timeout require-table-schema
    require-timeout-settings transaction-nesting
    """
)

#: squawk rules off by default, and why: the engine already guarantees them, or they are style, not safety.
SQUAWK_OFF = {
    "require-lock-timeout": "the engine sets lock_timeout (migrations.lock_timeout) in every migration's transaction",
    "require-statement-timeout": "the Management API bounds a request; set it in the file when you need one",
    "require-timeout-settings": "an alias of the two timeout rules",
    "transaction-nesting": "a file's own BEGIN ... COMMIT is merged into the migration's transaction by the engine",
    "ban-concurrent-index-creation-in-transaction": "the engine runs CONCURRENTLY statements outside a transaction",
    "prefer-bigint-over-int": "style; db.plan shows whether a later type change rewrites",
    "prefer-bigint-over-smallint": "style; db.plan shows whether a later type change rewrites",
    "prefer-text-field": "style; widening varchar(n) does not rewrite (db.plan shows it)",
}

#: squawk rules about locking, rewriting or breaking an existing table: moot on a table created earlier in
#: the same pending set (squawk itself only knows the same file).
EXISTING_TABLE_RULES = words(
    """
    require-concurrent-index-creation require-concurrent-index-deletion constraint-missing-not-valid
    adding-foreign-key-constraint adding-serial-primary-key-field disallowed-unique-constraint
    adding-field-with-default adding-not-nullable-field adding-required-field changing-column-type renaming-column
    renaming-table ban-drop-column ban-drop-table ban-drop-not-null require-concurrent-reindex prefer-robust-stmts
    """
)


@dataclass(frozen=True)
class Rule:
    """One of our rules: its name, default level, one-line message and the safe rewrite."""

    name: str
    level: str
    message: str
    help: str


def _rules(*items: Rule) -> dict[str, Rule]:
    return {rule.name: rule for rule in items}


#: Our rules for what hosted Supabase refuses or exposes (facts: shared/reference/supabase-privileges.md).
SUPABASE_RULES = _rules(
    Rule(
        "supabase-owner-only-table",
        ERROR,
        "Only the owner may alter this platform table; on Supabase `postgres` is not its owner "
        "(refused since 2025-04-21: 42501 must be owner of table).",
        "Leave auth/storage/realtime tables as they are: keep your columns in a public table keyed by the "
        "user's id (public.profiles), and use policies and triggers, which postgres may create on them.",
    ),
    Rule(
        "supabase-schema-not-writable",
        ERROR,
        "Objects cannot be created in this platform schema on Supabase (42501 permission denied for schema).",
        "Create it in public or in a schema of your own (CREATE SCHEMA private), and reference the platform "
        "objects from there.",
    ),
    Rule(
        "supabase-storage-direct-delete",
        ERROR,
        "Direct DELETE on storage tables is refused since 2026-01-28 (42501 Direct deletion from storage "
        "tables is not allowed).",
        "Delete objects and buckets through the Storage API; or, knowingly, `SET LOCAL "
        "storage.allow_delete_query = 'true';` before the DELETE in the same migration.",
    ),
    Rule(
        "supabase-rls-not-enabled",
        ERROR,
        "A table created in an API-exposed schema without row level security: anyone with the anon key "
        "can read and write it.",
        "Add `ALTER TABLE <table> ENABLE ROW LEVEL SECURITY;` (and policies) in the same migration, or "
        "create the table in a schema the Data API does not expose.",
    ),
    Rule(
        "supabase-rls-disabled",
        ERROR,
        "Row level security is turned off: the table's policies stop applying and the Data API exposes every row.",
        "Keep RLS on and change the policies instead; for a backend-only table, revoke anon and "
        "authenticated's privileges or move it to an unexposed schema.",
    ),
    Rule(
        "supabase-security-definer-search-path",
        ERROR,
        "A SECURITY DEFINER function without a fixed search_path runs with its owner's rights and resolves "
        "names through the caller's search_path.",
        "Add `SET search_path = ''` to the function and qualify every name in its body (public.todos, auth.uid()).",
    ),
    Rule(
        "supabase-extension-not-available",
        ERROR,
        "This extension cannot be created by a migration on Supabase.",
        "Use an extension from Supabase's list (docs/lint.md links it); pre-installed ones need "
        "`CREATE EXTENSION IF NOT EXISTS`.",
    ),
    Rule(
        "supabase-grant-write-to-anon",
        WARN,
        "Write privileges granted to anon (or PUBLIC): signed-out users can change this data wherever a "
        "policy lets them.",
        "Grant writes to authenticated only, and SELECT to anon when public reads are wanted; rely on "
        "policies for row-level rules.",
    ),
)

#: Findings about the lint comments themselves, and db.plan's own verdicts (configurable like the others).
OWN_RULES = _rules(
    Rule(
        "lint-ignore-invalid",
        WARN,
        "This ignore comment (lint-ignore naming an unknown rule or giving no reason, or squawk's own"
        " squawk-ignore) silences nothing.",
        "Write `-- lint-ignore rule-name, other-rule: why it is safe here` right above the statement.",
    ),
    Rule(
        "down-sql-missing",
        WARN,
        "This migration has no down SQL: it cannot be undone by db.rollback or by the gate.",
        "Add `-- migrate:down` with the SQL that undoes it at the end of the file, or supabase/rollbacks/<file>.",
    ),
    Rule(
        "rollback-proof-failed",
        ERROR,
        "Applying this migration and then its down SQL does not give back the catalog it started from.",
        "Complete the down SQL so it removes (or restores) every object the plan names, then run db.plan again.",
    ),
)

KNOWN_RULES = frozenset(SQUAWK_RULES | set(SUPABASE_RULES) | set(OWN_RULES))


def default_level(rule: str) -> str:
    """Return a rule's level unless invoke.yaml says otherwise."""
    own = SUPABASE_RULES.get(rule) or OWN_RULES.get(rule)
    if own is not None:
        return own.level
    return OFF if rule in SQUAWK_OFF else WARN
