"""PostgreSQL connection URLs: parse them strictly, say what is wrong without the value, find their secrets (pure).

A URL (``postgresql://user:password@host:port/dbname?param=value``) is read here, not by libpq, before any
connection: libpq's own parse errors quote the offending part (``invalid percent-encoded token:
"Hunter2%zzSecret"``), which may be the password. Every problem becomes one message that names the
variable and the rule broken, never the value. When psycopg is installed, libpq's parser must accept the URL
too (its text is dropped), so nothing this module lets through fails to parse later.

Besides parsing, a URL to a host that is not on this machine must ask for TLS (``sslmode=require`` or
stronger): libpq's default ``prefer`` falls back to plaintext without a word. Where it connects is decided
as libpq decides it: a URL without a host (``postgresql://u:pw@/db``, ``postgresql:///db?service=prod``)
takes it from the ``service``'s entry in ``pg_service.conf``, then from ``PGHOST``/``PGHOSTADDR``; a
``hostaddr`` is where the connection goes, whatever ``host`` says; ``sslmode`` likewise falls back to the
service, then ``PGSSLMODE``. A service whose entry cannot be read counts as another machine.
"""

from __future__ import annotations

import configparser
import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import unquote

from ..errors import ConfigError

SCHEMES = ("postgresql", "postgres")
#: sslmode values that never send anything in plaintext.
TLS_MODES = ("require", "verify-ca", "verify-full")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
EXAMPLE = "postgresql://postgres:PASSWORD@db.REF.supabase.co:5432/postgres?sslmode=require"


@dataclass(frozen=True)
class ConnectionUrl:
    """What a connection URL says, decoded: its hosts, its passwords (as written and decoded) and its sslmode."""

    hosts: tuple[str, ...]
    #: Every password the URL holds (in the credentials, in ``?password=``), as written and percent-decoded.
    passwords: tuple[str, ...] = ()
    sslmode: str | None = None
    #: Where the connection goes instead of ``hosts`` (libpq's ``hostaddr``), when set.
    hostaddrs: tuple[str, ...] = ()
    #: The ``service`` parameter: more settings come from its entry in ``pg_service.conf``.
    service: str | None = None

    @property
    def targets(self) -> tuple[str, ...]:
        """Return where the connection goes: ``hostaddrs`` when set, else ``hosts``."""
        return self.hostaddrs or self.hosts

    @property
    def local(self) -> bool:
        """Return whether every host is this machine: a loopback address, ``localhost`` or a Unix socket."""
        return all(is_local_host(h) for h in self.targets)


class _Bad(Exception):
    """One broken rule, in words that never contain the value."""


def is_local_host(host: str) -> bool:
    """Return whether ``host`` is this machine: empty (the default socket), a socket path, localhost, loopback."""
    if host in ("", "localhost") or host.startswith(("/", "@")):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _decode(text: str) -> str:
    if _BAD_PERCENT.search(text):
        raise _Bad("a '%' is not followed by two hexadecimal digits (write a literal % as %25)")
    if "%00" in text:
        raise _Bad("it contains %00, which libpq refuses")
    return unquote(text, errors="strict")


def _hosts(hostspec: str) -> tuple[str, ...]:
    """Return the hosts of ``host[:port],...``, decoded, after checking each port."""
    hosts: list[str] = []
    for item in hostspec.split(","):
        host, port = item, ""
        if item.startswith("["):
            host, _, rest = item[1:].partition("]")
            if rest and not rest.startswith(":"):
                raise _Bad("an IPv6 address in [...] is followed by something other than :port")
            port = rest[1:]
        elif ":" in item:
            host, _, port = item.rpartition(":")
        if port and not (port.isdigit() and 0 < int(port) < 65536):
            raise _Bad("a port is not a number from 1 to 65535")
        hosts.append(_decode(host))
    return tuple(hosts)


def _params(query: str) -> dict[str, tuple[str, str]]:
    """Return each query parameter as (as written, decoded)."""
    params: dict[str, tuple[str, str]] = {}
    for item in filter(None, query.split("&")):
        key, equals, value = item.partition("=")
        if not equals or not key:
            raise _Bad("a query parameter is not key=value")
        params[_decode(key)] = (value, _decode(value))
    return params


def _parse(value: str) -> ConnectionUrl:
    """Split the URL the way libpq does: credentials end at the first @ (before any /), then hosts, path, query."""
    scheme, sep, rest = value.partition("://")
    if not sep or scheme.lower() not in SCHEMES:
        raise _Bad("it must start with postgresql://")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise _Bad("it contains whitespace or control characters (a pasted newline?)")
    credentials = re.match(r"[^@/]*@", rest)
    userinfo = credentials.group(0)[:-1] if credentials else None
    rest = rest[credentials.end() :] if credentials else rest
    end = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    hostspec, (path, _, query) = rest[:end], rest[end:].partition("?")
    _decode(path)  # the database name
    if "@" in hostspec:
        raise _Bad("an @ is left after the credentials (write @ in the password as %40)")
    user, colon, password = (userinfo or "").partition(":")
    _decode(user)
    passwords = [password, _decode(password)] if colon else []
    params = _params(query)
    passwords += params.get("password", ())
    hosts = _hosts(hostspec)
    if params.get("host", ("", ""))[1]:
        hosts = _split(params["host"][1])
    return ConnectionUrl(
        hosts=hosts if any(hosts) else (),
        passwords=tuple(dict.fromkeys(p for p in passwords if p)),
        sslmode=params["sslmode"][1] or None if "sslmode" in params else None,
        hostaddrs=_split(params.get("hostaddr", ("", ""))[1]),
        service=params["service"][1] or None if "service" in params else None,
    )


def _split(value: str) -> tuple[str, ...]:
    """Return the items of a comma-separated ``host`` or ``hostaddr`` value (empty: none)."""
    return tuple(h.strip() for h in value.split(",")) if value.strip() else ()


def _service_entry(name: str, environ: Mapping[str, str]) -> dict[str, str] | None:
    """Return the settings of service ``name`` from the files libpq reads, or None when none has it."""
    files = [environ.get("PGSERVICEFILE") or str(Path(environ.get("HOME", "~")).expanduser() / ".pg_service.conf")]
    if environ.get("PGSYSCONFDIR"):
        files.append(str(Path(environ["PGSYSCONFDIR"]) / "pg_service.conf"))
    for file in files:
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(file, encoding="utf-8")
        except (configparser.Error, OSError, UnicodeDecodeError):
            return None
        if parser.has_section(name):
            return dict(parser.items(name))
    return None


def resolve(url: ConnectionUrl, environ: Mapping[str, str] | None = None) -> ConnectionUrl:
    """Return ``url`` with what libpq adds to it: its service's entry, then ``PGHOST``, ``PGHOSTADDR``, ``PGSSLMODE``.

    ``environ`` is the environment libpq will see (default: this process's).
    """
    env = os.environ if environ is None else environ
    hosts, hostaddrs, sslmode = url.hosts, url.hostaddrs, url.sslmode
    service = url.service or env.get("PGSERVICE") or None
    if service is not None:
        entry = _service_entry(service, env)
        if entry is None:  # libpq may find it where we cannot look: assume the worst
            hosts, hostaddrs = hosts or (f"the host of service {service!r}",), hostaddrs
        else:
            hosts = hosts or _split(entry.get("host", ""))
            hostaddrs = hostaddrs or _split(entry.get("hostaddr", ""))
            sslmode = sslmode or entry.get("sslmode") or None
    hosts = hosts or _split(env.get("PGHOST", ""))
    hostaddrs = hostaddrs or _split(env.get("PGHOSTADDR", ""))
    sslmode = sslmode or env.get("PGSSLMODE") or None
    return replace(url, hosts=hosts or ("",), hostaddrs=hostaddrs, sslmode=sslmode, service=service)


def _libpq_accepts(value: str) -> bool:
    """Return whether libpq parses ``value`` too (True when psycopg is not installed: nothing will)."""
    try:
        from psycopg.conninfo import conninfo_to_dict
    except ImportError:
        return True
    try:
        conninfo_to_dict(value)
    except Exception:  # its text may quote the password: only the fact is kept
        return False
    return True


def parse_url(value: str, source: str) -> ConnectionUrl:
    """Return what the URL in ``source`` says, or raise ConfigError naming ``source`` (never the value)."""
    try:
        url = _parse(value)
    except (_Bad, UnicodeDecodeError) as exc:
        reason = str(exc) if isinstance(exc, _Bad) else "a percent-encoded part is not valid UTF-8"
        raise ConfigError(
            f"{source} is not a valid PostgreSQL connection URL: {reason}. Its value is not shown.",
            hint=f"Percent-encode special characters in the password (% as %25, @ as %40, / as %2F). "
            f"Example: {EXAMPLE}",
        ) from None
    if not _libpq_accepts(value):
        raise ConfigError(
            f"{source} is not a valid PostgreSQL connection URL: libpq cannot parse it. Its value is not shown.",
            hint=f"Check its parts and parameters against {EXAMPLE}; percent-encode special characters.",
        )
    return url


def require_tls(url: ConnectionUrl, source: str, environ: Mapping[str, str] | None = None) -> None:
    """Raise ConfigError when ``url`` reaches another machine without ``sslmode=require`` or stronger.

    Where it goes and its sslmode are what libpq makes of it in ``environ`` (:func:`resolve`).
    """
    url = resolve(url, environ)
    if url.local or url.sslmode in TLS_MODES:
        return
    remote = next(h for h in url.targets if not is_local_host(h))
    mode = f"sslmode={url.sslmode}" if url.sslmode else "no sslmode (libpq's default 'prefer')"
    raise ConfigError(
        f"{source} connects to {remote} with {mode}: the connection may fall back to plaintext, password "
        "and data included.",
        hint="Add sslmode=require to the URL (...?sslmode=require, or &sslmode=require after other parameters), "
        "or verify-full with sslrootcert=<the server's CA file> to check the certificate too. Loopback "
        "addresses and Unix sockets need no TLS.",
    )


def secrets_of(value: str) -> list[str]:
    """Return the texts of a URL to mask: the URL, its password as written and decoded (never raises)."""
    try:
        url = _parse(value)
    except (_Bad, UnicodeDecodeError):
        return [value]
    return list(dict.fromkeys([value, *url.passwords]))
