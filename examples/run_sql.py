"""Run a SQL file on the sandbox's project as Supabase's SQL editor does: one request to the Management API.

    python examples/run_sql.py examples/dashboard.sql

Reads SUPABASE_API_URL, SUPABASE_PROJECT_REF and SUPABASE_ACCESS_TOKEN from the environment (the lines the
sandbox prints: `set -a; . ./.env.sandbox; set +a`). It changes the live database, so it runs only against
an API on this machine (a sandbox), never a hosted project. Exit 0 when the request succeeded, 1 when the
server refused the SQL, 2 when the settings are missing or not a local sandbox's.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def main(argv: list[str]) -> int:
    names = ("SUPABASE_API_URL", "SUPABASE_PROJECT_REF", "SUPABASE_ACCESS_TOKEN")
    missing = [name for name in names if not os.environ.get(name)]
    if len(argv) != 1 or missing:
        print(__doc__, file=sys.stderr)
        if missing:
            print(f"run_sql: not set: {', '.join(missing)}", file=sys.stderr)
        return 2
    api_url, ref, token = (os.environ[name] for name in names)
    if urlsplit(api_url).scheme not in ("http", "https") or urlsplit(api_url).hostname not in LOCAL_HOSTS:
        print(f"run_sql: {api_url} is not a sandbox on this machine; this example changes only those.", file=sys.stderr)
        return 2
    query = Path(argv[0]).read_text(encoding="utf-8")
    request = urllib.request.Request(  # noqa: S310 (an http(s) URL on this machine, checked above)
        f"{api_url.rstrip('/')}/v1/projects/{ref}/database/query",
        data=json.dumps({"query": query}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (checked above)
            print(f"run_sql: {argv[0]}: ok ({response.status})")
            return 0
    except urllib.error.HTTPError as exc:
        body = exc.read().decode("utf-8", "replace")
        print(f"run_sql: {argv[0]}: the API answered {exc.code}: {body}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
