"""The HTTP API of one environment: JSON in, JSON out, a fresh short-lived bearer token on every request."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Callable, Optional

from pgbackup_cli import exits
from pgbackup_cli.exits import CliError

BASE = "/api/setting"


class Answer:
    """An API answer: its HTTP status and its JSON body."""

    def __init__(self, status: int, body: dict):
        self.status = status
        self.body = body

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class Api:
    def __init__(self, url: str, token: Callable[[], str], timeout: float = 60.0):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def backup(self) -> Answer:
        return self.request("POST", BASE + "/backup", {})

    def backups(self, environment: Optional[str] = None) -> Answer:
        query = "?" + urllib.parse.urlencode({"environment": environment}) if environment else ""
        return self.request("GET", BASE + "/backups" + query)

    def job(self, job_id: str) -> Answer:
        return self.request("GET", BASE + "/jobs/" + urllib.parse.quote(job_id, safe=""))

    def retention(self) -> Answer:
        return self.request("GET", BASE + "/retention")

    def restore(self, body: dict) -> Answer:
        return self.request("POST", BASE + "/restore", body)

    def request(self, method: str, path: str, body: Optional[dict] = None) -> Answer:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Authorization", "Bearer " + self.token())
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return Answer(resp.status, parse(resp.read(), resp.status))
        except urllib.error.HTTPError as e:
            with e:
                return Answer(e.code, parse(e.read(), e.code))
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise CliError(exits.SERVER, f"cannot reach the API at {self.url}: {reason}") from None


def parse(raw: bytes, status: int) -> dict:
    try:
        body = json.loads(raw.decode("utf-8")) if raw else {}
    except (UnicodeDecodeError, json.JSONDecodeError):
        # API Gateway's own answers (a 502/504, a throttle) are JSON too; anything else is a proxy or a wrong URL
        raise CliError(exits.SERVER, f"the API answered HTTP {status} with a body that is not JSON "
                                     "(is --api-url the stack's ApiUrl?)") from None
    if not isinstance(body, dict):
        raise CliError(exits.SERVER, f"the API answered HTTP {status} with JSON that is not an object")
    return body


def require_ok(answer: Answer) -> dict:
    """The body of a successful answer, else the CliError its status means (with the API's own message)."""
    if answer.ok and answer.body.get("success", True) is not False:
        return answer.body
    message = answer.body.get("message") or f"HTTP {answer.status}"
    raise CliError(exits.for_status(answer.status, answer.body), f"HTTP {answer.status}: {message}", answer.body)
