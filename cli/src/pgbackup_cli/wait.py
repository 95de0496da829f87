"""--wait: poll a job's status until it is no longer RUNNING, showing its progress fields on stderr."""

from __future__ import annotations

import time
from typing import Callable, Optional

from pgbackup_cli import exits
from pgbackup_cli.api import Api, require_ok
from pgbackup_cli.exits import CliError
from pgbackup_cli.output import size

# a job the API just started can be a moment from its first record (a scheduled one, one read from a replica)
NOT_FOUND_GRACE_SECONDS = 15
# beyond the job's own limit (maxDurationSeconds): the worker's 45 s of clean-up and a last record
DEFAULT_MARGIN_SECONDS = 120
# a long wait outlives a throttled request, a 502 of API Gateway or a dropped connection: the job goes on regardless
TRANSIENT_FAILURES_TOLERATED = 5
TRANSIENT_STATUSES = (429, 502, 503, 504)
BAR_WIDTH = 30


class Progress:
    """A bar redrawn in place on a terminal; elsewhere (a CI log) a plain line whenever the phase or the tens
    digit of the percentage changes, so a log shows progress without thousands of lines."""

    def __init__(self, stream, tty: Optional[bool] = None, quiet: bool = False):
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self.quiet = quiet
        self.last = None
        self.drawn = False

    def update(self, job: dict) -> None:
        if self.quiet:
            return
        p = job.get("progress") or {}
        phase = p.get("phase") or "started"
        percent = p.get("percent")
        detail = describe(p)
        if self.tty:
            filled = int(BAR_WIDTH * (percent or 0) / 100)
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            pct = f"{percent:3d}%" if percent is not None else "  ?%"
            self.stream.write(f"\r\033[K[{bar}] {pct} {phase}{detail}")
            self.drawn = True
        else:
            key = (phase, None if percent is None else percent // 10)
            if key != self.last:
                pct = f" {percent}%" if percent is not None else ""
                self.stream.write(f"{job.get('type', 'JOB')} {job.get('jobId', '')} RUNNING: {phase}{pct}{detail}\n")
                self.last = key
        self.stream.flush()

    def finish(self) -> None:
        if self.tty and self.drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.drawn = False


def describe(p: dict) -> str:
    parts = []
    if p.get("bytesDone") is not None:
        total = p.get("bytesTotal")
        parts.append(size(p["bytesDone"]) + (f" of ~{size(total)}" if total else ""))
    if p.get("current"):
        parts.append(str(p["current"]))
    return (" (" + ", ".join(parts) + ")") if parts else ""


def wait_for(api: Api, job_id: str, timeout: float, interval: float, progress: Progress,
             clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> dict:
    """The finished job (SUCCEEDED or FAILED); CliError TIMEOUT if it is still RUNNING after `timeout` seconds."""
    start = clock()
    failures = 0
    try:
        while True:
            answer, error = poll(api, job_id)
            if error is not None or answer.status in TRANSIENT_STATUSES:
                failures += 1
                if failures > TRANSIENT_FAILURES_TOLERATED:
                    raise error or CliError(exits.SERVER, f"HTTP {answer.status}: {answer.body.get('message')}")
            elif answer.status == 404 and clock() - start < NOT_FOUND_GRACE_SECONDS:
                failures = 0
            elif answer.status == 200 and answer.body.get("status") in ("SUCCEEDED", "FAILED"):
                return answer.body
            elif answer.status == 200 and answer.body.get("status") == "RUNNING":
                failures = 0
                progress.update(answer.body)
            else:
                require_ok(answer)
                raise CliError(exits.SERVER, f"job {job_id}: unexpected answer {answer.body.get('status')!r}")
            if clock() - start >= timeout:
                raise CliError(exits.TIMEOUT, f"job {job_id} still RUNNING after {int(timeout)} s (--timeout); "
                                              f"follow it with: pgbackup status {job_id} --wait")
            if interval > 0:  # 0 polls back to back (libfaketime makes sleep(0) fail with EINVAL)
                sleep(interval)
    finally:
        progress.finish()


def poll(api: Api, job_id: str):
    """One status request: (answer, None), or (None, the error) when the API could not be reached or answered no
    JSON."""
    try:
        return api.job(job_id), None
    except CliError as e:
        if e.code != exits.SERVER:
            raise
        return None, e


def timeout_of(given: Optional[float], answer: dict) -> float:
    """--timeout, else the job's own limit on this stack plus a margin."""
    if given is not None:
        return given
    return float(answer.get("maxDurationSeconds") or 855) + DEFAULT_MARGIN_SECONDS
