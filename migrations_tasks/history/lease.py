"""The lease on a migration that runs outside one transaction: SQL text builders (pure).

The migration lock is transaction-scoped and every API request is a new session, so nothing of it
outlives a request; a migration whose parts are several requests (``CREATE INDEX CONCURRENTLY``, several
``BEGIN ... COMMIT`` blocks) would otherwise have its parts run by every concurrent run. A run first takes
the migration's **lease**: a committed row in a table of the tool's own,
``supabase_migrations.migrations_tasks_leases`` (version, holder, expires_at), taken under the migration
lock after the guard that the version is not yet recorded. The holder renews it in every transactional
part and before a part that runs outside a transaction, and deletes it with the ledger row. Another run
finds it held and waits; when the holder has recorded the version, that run's guard reports it "already
applied by another run". The row also counts the transactional parts committed (``part``), each advancing
it in its own transaction, so a part sent again after a lost answer finds itself done (:data:`PART_DONE`).

A lease whose holder stopped (killed between parts) expires ``seconds`` after its last renewal; it is taken
over only once no session is still running a part of its holder's (each part carries
``/* migrations-tasks lease <holder> */``: a transactional one in its renewal). The run that takes it over
learns how many parts committed (``resume_from``, when the file's ``fingerprint`` is the one the holder
ran) and goes on after them. The Supabase CLI's ledger is not touched.
"""

from __future__ import annotations

from ..sql import quote_literal
from .ledger import SCHEMA

#: The table of leases (created on first use, beside the ledger).
TABLE = f"{SCHEMA}.migrations_tasks_leases"

#: SQLSTATEs the lease statements raise: another run holds it; this run's lease was taken over; the part
#: advancing it is already committed (an attempt whose answer was lost did it).
LEASE_BUSY = "MTLSE"
LEASE_LOST = "MTLSL"
PART_DONE = "MTPRT"

#: Starts the comment naming the holder of a part that runs outside a transaction.
TAG_MARK = "migrations-tasks lease"

CREATE_SQL = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} "
    "(version text PRIMARY KEY, holder text NOT NULL, expires_at timestamptz NOT NULL, "
    "part integer NOT NULL DEFAULT 0, fingerprint text NOT NULL DEFAULT '')"
)


def _holder(holder: str) -> str:
    if not holder.isalnum():
        raise ValueError("a lease holder is letters and digits")
    return holder


def tag(holder: str) -> str:
    """Return the comment a part that runs outside a transaction starts with (for ``pg_stat_activity``)."""
    return f"/* {TAG_MARK} {_holder(holder)} */ "


def take_sql(version: str, holder: str, seconds: int, fingerprint: str = "") -> str:
    """Return the statements taking ``version``'s lease for ``holder``.

    Their answer names the holder taken over (``taken_over_from``) and how many parts it committed
    (``resume_from``: 0 unless its ``fingerprint``, the file's, is this one). They raise :data:`LEASE_BUSY`
    while another holder's lease is current or a part of it still runs. Run them after the migration lock
    and the guard, in the same transaction.
    """
    v, h, f = quote_literal(version), quote_literal(_holder(holder)), quote_literal(fingerprint)
    running = (
        "EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity WHERE pid <> pg_catalog.pg_backend_pid() "
        f"AND state <> 'idle' AND position('{TAG_MARK} ' || held.holder || ' ' IN query) > 0)"
    )
    check = (
        "DO $mt_lease$\nDECLARE\n  held record;\nBEGIN\n"
        f"  SELECT holder, expires_at INTO held FROM {TABLE} WHERE version = {v} FOR UPDATE;\n"
        f"  IF FOUND AND held.holder <> {h} AND (held.expires_at > pg_catalog.now() OR {running}) THEN\n"
        f"    RAISE EXCEPTION 'another run is applying migration % (lease %)', {v}, held.holder\n"
        f"      USING ERRCODE = '{LEASE_BUSY}';\n"
        "  END IF;\nEND $mt_lease$"
    )
    take = (
        f"WITH before AS (SELECT holder, CASE WHEN fingerprint = {f} THEN part ELSE 0 END AS part FROM {TABLE} "
        f"WHERE version = {v} AND holder <> {h}), "
        f"taken AS (INSERT INTO {TABLE} AS l (version, holder, expires_at, part, fingerprint) "
        f"VALUES ({v}, {h}, pg_catalog.now() + interval '{int(seconds)} seconds', 0, {f}) ON CONFLICT (version) "
        "DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at, fingerprint = excluded.fingerprint, "
        "part = CASE WHEN l.fingerprint = excluded.fingerprint THEN l.part ELSE 0 END RETURNING version) "
        "SELECT (SELECT holder FROM before) AS taken_over_from, coalesce((SELECT part FROM before), 0) AS resume_from, "
        "(SELECT count(*) FROM taken) AS taken"
    )
    return f"{CREATE_SQL};\n{check};\n{take}"


def renew_sql(version: str, holder: str, seconds: int, part: int = 0) -> str:
    """Return a statement extending ``holder``'s lease; it raises :data:`LEASE_LOST` when another run took it.

    With ``part`` (a transactional part's number, from 1) it also records that part as committed with its
    transaction, and raises :data:`PART_DONE` when it already is.
    """
    v, h = quote_literal(version), quote_literal(_holder(holder))
    advance = f", part = {int(part)}" if part else ""
    before = f" AND part < {int(part)}" if part else ""
    done = (
        f"    IF EXISTS (SELECT 1 FROM {TABLE} WHERE version = {v} AND holder = {h}) THEN\n"
        f"      RAISE EXCEPTION 'part {int(part)} of migration % is already committed', {v}"
        f" USING ERRCODE = '{PART_DONE}';\n"
        "    END IF;\n"
        if part
        else ""
    )
    return (
        f"{tag(holder)}DO $mt_lease$\nBEGIN\n"
        f"  UPDATE {TABLE} SET expires_at = pg_catalog.now() + interval '{int(seconds)} seconds'{advance}\n"
        f"   WHERE version = {v} AND holder = {h}{before};\n"
        "  IF NOT FOUND THEN\n"
        f"{done}"
        f"    RAISE EXCEPTION 'another run took over migration % after this run''s lease expired', {v}\n"
        f"      USING ERRCODE = '{LEASE_LOST}';\n"
        "  END IF;\nEND $mt_lease$"
    )


def release_sql(version: str, holder: str) -> str:
    """Return the statement giving the lease back (with the ledger row, in its transaction)."""
    return f"DELETE FROM {TABLE} WHERE version = {quote_literal(version)} AND holder = {quote_literal(_holder(holder))}"
