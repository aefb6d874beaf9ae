"""The connection values of the ``migrations`` section: their names, defaults, and one validator each.

A validator returns the value ready to use (a token or URL as a :class:`~migrations_tasks.secret.Secret`) or
raises :class:`~migrations_tasks.errors.ConfigError` naming where the value came from, never echoing a secret.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ..errors import ConfigError
from ..secret import Secret
from . import dburl

DEFAULT_API_URL = "https://api.supabase.com"
DEFAULT_MIGRATIONS_DIR = "supabase/migrations"
PROJECT_REF_RE = re.compile(r"^[a-z]{20}$")
LOCK_TIMEOUT_RE = re.compile(r"^[0-9]+(ms|s|min)?$")
TRANSPORTS = ("api", "postgres")
CONFIG_SECTION = "migrations"

ENV_TOKEN = "SUPABASE_ACCESS_TOKEN"
ENV_REF = "SUPABASE_PROJECT_REF"
ENV_REF_ALIASES = ("SUPABASE_STAGING_PROJECT_ID",)
ENV_API_URL = "SUPABASE_API_URL"
ENV_DB_URL = "SUPABASE_DB_URL"
ENV_TRANSPORT = "MIGRATIONS_TRANSPORT"
ENV_DRIFT_DB_URL = "MIGRATIONS_DRIFT_DB_URL"
DEFAULT_EXPOSED_SCHEMAS = ("public", "graphql_public")
DRIFT_MODES = ("auto", "on", "off")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    import ipaddress

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_api_url(value: str) -> str:
    """Return the API URL without a trailing slash, or raise ConfigError."""
    try:
        parts = urlsplit(value.strip())
        host = parts.hostname
    except ValueError as exc:
        raise ConfigError(f"{ENV_API_URL} is not a valid URL ({exc}).") from None
    if parts.scheme not in ("https", "http") or not host:
        raise ConfigError(
            f"{ENV_API_URL} must be an https:// URL such as {DEFAULT_API_URL}.",
            hint="Unset it to use the default Supabase API.",
        )
    if parts.username or parts.password:
        raise ConfigError(
            f"{ENV_API_URL} must not contain credentials (user:password@).",
            hint=f"Put the personal access token in {ENV_TOKEN} instead.",
        )
    if parts.scheme == "http" and not _is_loopback(host):
        raise ConfigError(
            f"{ENV_API_URL} uses plain http:// to {host}: the token would travel unencrypted.",
            hint="Use https://, or http:// only to a loopback address such as the local sandbox.",
        )
    if parts.query or parts.fragment:
        raise ConfigError(f"{ENV_API_URL} must not have a query string or fragment.")
    return value.strip().rstrip("/")


def validate_token(value: str, source: str = ENV_TOKEN) -> Secret:
    """Return the token as a Secret, or raise ConfigError without echoing it."""
    if not value:
        raise ConfigError(
            f"{source} is empty.",
            hint="Create a personal access token at https://supabase.com/dashboard/account/tokens.",
        )
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ConfigError(
            f"{source} contains whitespace or control characters (a pasted newline?).",
            hint="Set it again with only the token's characters.",
        )
    return Secret(value)


def validate_project_ref(value: str, source: str = ENV_REF) -> str:
    """Return the project ref, or raise ConfigError."""
    ref = value.strip()
    if not PROJECT_REF_RE.match(ref):
        # Echo a near miss, but not a long value: it may be a token or URL pasted into the wrong variable.
        shown = repr(ref) if len(ref) <= 24 and ref.isprintable() else f"(a {len(ref)}-character value, not shown)"
        raise ConfigError(
            f"{source} {shown} is not a Supabase project ref: expected exactly 20 lowercase letters.",
            hint="Copy it from the dashboard: Project Settings > General > Reference ID.",
        )
    return ref


def validate_db_url(value: str, source: str = ENV_DB_URL) -> Secret:
    """Return the connection URL as a Secret, or raise ConfigError naming ``source`` without echoing it.

    The URL is parsed here (:mod:`~migrations_tasks.config.dburl`), never first by libpq, whose parse errors quote
    the password; a host other than this machine needs ``sslmode=require`` or stronger.
    """
    if not value.strip().lower().startswith(tuple(f"{s}://" for s in dburl.SCHEMES)):
        raise ConfigError(f"{source} must be a postgresql:// connection string.", hint=f"Example: {dburl.EXAMPLE}")
    dburl.require_tls(dburl.parse_url(value.strip(), source), source)
    return Secret(value.strip())


def url_secrets(url: Secret) -> list[str]:
    """Return what to mask (and redact) of a connection URL: the URL, its password as written and decoded."""
    return dburl.secrets_of(url.reveal())
