"""A tiny HTTP server answering like the API (scripted answers per route, every request recorded) and a fake AWS
side (SSM parameters, the caller's ARN): what the CLI sends and how it reads answers, without a stack."""

from __future__ import annotations

import io
import json
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from pgbackup_cli import exits
from pgbackup_cli.exits import CliError
from pgbackup_cli.main import main

SECRET = "unit-test-jwt-secret-of-at-least-32-bytes!"
ARN = "arn:aws:sts::123456789012:assumed-role/ci-deployer/pipeline-42"
PASSKEY = "unit-test-passkey-Zq9"


class FakeApi:
    def __init__(self):
        self.routes = {}
        self.requests = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                api.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                     "body": json.loads(raw) if raw else None})
                queue = api.routes.get((self.command, self.path)) or [(404, {"success": False, "message": "no route"})]
                status, body = queue.pop(0) if len(queue) > 1 else queue[0]
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def on(self, method, path, *answers):
        """Answers in order; the last one repeats."""
        self.routes[(method, "/api/setting" + path)] = list(answers)
        return self

    def paths(self):
        return [f"{r['method']} {r['path']}" for r in self.requests]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class FakeAws:
    def __init__(self, parameters=None, denied=()):
        self.parameters = dict(parameters or {})
        self.denied = set(denied)
        self.reads = []

    def parameter(self, name, what):
        self.reads.append(name)
        if name in self.denied:
            raise CliError(exits.AUTH, f"cannot read {what} from SSM parameter {name}: access denied")
        if name not in self.parameters:
            raise CliError(exits.USAGE, f"cannot read {what} from SSM parameter {name}: no such parameter")
        return self.parameters[name]

    def identity(self):
        return ARN


class Stream(io.StringIO):
    def __init__(self, tty=False):
        super().__init__()
        self.tty = tty

    def isatty(self):
        return self.tty


class CliCase(unittest.TestCase):
    """A fake API and AWS for staging of pharmatracker; run_cli runs the CLI as a process would, streams captured."""

    def setUp(self):
        self.api = FakeApi()
        self.addCleanup(self.api.close)
        self.aws = FakeAws({"/pharmatracker/staging/jwt-secret": SECRET,
                            "/pharmatracker/staging/restore-passkey": PASSKEY})
        self.env = {"PGBACKUP_API_URL": self.api.url, "PGBACKUP_APP": "pharmatracker",
                    "PGBACKUP_ENVIRONMENT": "staging"}

    def run_cli(self, *argv, tty=False):
        self.out, self.err = Stream(), Stream(tty)
        return main(list(argv) + ["--poll-interval", "0"], environ=self.env, out=self.out, err=self.err,
                    aws=self.aws, stdin=Stream())
