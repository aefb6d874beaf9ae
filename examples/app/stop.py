"""Stop the example app started by restart.py under a deploy path (argument 1)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from pathlib import Path

pidfile = Path(sys.argv[1] if len(sys.argv) > 1 else ".release/sandbox-host") / "shared" / "app.pid"
if pidfile.exists():
    with contextlib.suppress(ProcessLookupError, ValueError):
        os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)
    pidfile.unlink()
