"""Restart the example app: stop the previous one (pidfile in shared/), start this release's, wait for it."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

here = Path(__file__).resolve().parent
shared = Path(os.environ.get("SHARED_PATH", here.parent.parent / "shared"))
port = int(os.environ.get("PORT", "18080"))
pidfile = shared / "app.pid"


def listening() -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


if pidfile.exists():
    with contextlib.suppress(ProcessLookupError, ValueError):
        os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)
    for _ in range(100):
        if not listening():
            break
        time.sleep(0.05)
shared.mkdir(parents=True, exist_ok=True)
process = subprocess.Popen(
    [sys.executable, str(here / "app.py"), str(port)],
    stdin=subprocess.DEVNULL,
    stdout=subprocess.DEVNULL,
    stderr=subprocess.DEVNULL,
    start_new_session=True,
)
pidfile.write_text(str(process.pid))
for _ in range(200):
    if listening():
        sys.exit(0)
    time.sleep(0.05)
sys.exit(f"the app did not listen on 127.0.0.1:{port}")
