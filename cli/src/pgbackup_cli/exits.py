"""Exit codes a pipeline can branch on, and the error that carries one to main()."""

OK = 0
JOB_FAILED = 1  # the job ran and FAILED (or a 500 that names the job that failed)
USAGE = 2  # bad command line, or the API refused the input: 400, 404 (no such backup/job/table), 413
AUTH = 3  # no AWS credentials, not allowed to read the JWT secret/passkey, 401, 403 (role, passkey, KMS key)
SERVER = 4  # the API or AWS failed or could not be reached: 5xx, 429, connection refused, a body that is no JSON
TIMEOUT = 5  # --wait gave up: the job was still RUNNING at the deadline
REFUSED = 6  # a safety rule refused it: 409 (no recent safety backup, a backup/restore already running), 422

NAMES = {OK: "ok", JOB_FAILED: "job failed", USAGE: "usage", AUTH: "auth", SERVER: "server",
         TIMEOUT: "timeout", REFUSED: "refused"}
INTERRUPTED = 130  # Ctrl-C (a job already started goes on)


def for_status(status: int, body: dict) -> int:
    """The exit code of an API answer that is not a success."""
    if status in (401, 403):
        return AUTH
    if status in (409, 422):
        return REFUSED
    if status == 500 and isinstance(body, dict) and body.get("jobId"):
        return JOB_FAILED  # the job ran within the wait budget and failed
    if status == 429:
        return SERVER  # API Gateway's throttling: nothing wrong with the request, try again later
    if 400 <= status < 500:
        return USAGE
    return SERVER


class CliError(Exception):
    """A failure with the exit code it ends the process with; message is safe to print (never a secret)."""

    def __init__(self, code: int, message: str, body: dict = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.body = body
