"""A tiny app to deploy in the sandbox flow: GET /health answers 200 with the release it serves."""

from __future__ import annotations

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

RELEASE = Path(__file__).resolve().parent.name


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        healthy = (Path(__file__).parent / "HEALTHY").exists()
        status = 200 if healthy and self.path == "/health" else (503 if self.path == "/health" else 404)
        body = json.dumps({"status": "ok" if status == 200 else "unhealthy", "release": RELEASE}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


if __name__ == "__main__":
    port = int(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("PORT", "18080"))
    HTTPServer(("127.0.0.1", port), Handler).serve_forever()
