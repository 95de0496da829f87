"""The commands: each is a few API calls, its human output, and the exit code of its outcome."""

from __future__ import annotations

from pgbackup_cli import auth, exits, output
from pgbackup_cli.api import Api, require_ok
from pgbackup_cli.exits import CliError
from pgbackup_cli.wait import Progress, timeout_of, wait_for


class Session:
    """One invocation: the API with its token source, the AWS side, the streams, the options."""

    def __init__(self, args, environ, out, err, aws=None, stdin=None):
        self.args, self.environ, self.out, self.err, self.stdin = args, environ, out, err, stdin
        self.aws = aws or auth.Aws(args.profile, args.region)
        policy = auth.Policy(args.role, args.roles_claim, args.audience, args.issuer)
        self.tokens = auth.Tokens(lambda: self.aws.parameter(args.jwt_secret_parameter, "the JWT secret"),
                                  self.aws.identity, policy)
        self.api = Api(args.api_url, self.tokens)

    def say(self, text: str) -> None:
        if not self.args.json:
            self.out.write(text + "\n")

    def started(self, body: dict, wait: bool) -> dict:
        """A 202's job followed to its end with --wait; otherwise where to follow it."""
        if wait:
            progress = Progress(self.err, quiet=self.args.quiet)
            return wait_for(self.api, body["jobId"], timeout_of(self.args.timeout, body), self.args.poll_interval,
                            progress)
        self.say(f"started job {body['jobId']} ({body.get('filename')}); follow it with: "
                 f"pgbackup status {body['jobId']} --wait")
        return body

    def finish(self, body: dict) -> int:
        """Prints the final answer (the API's JSON, or lines) and maps a FAILED job to exit 1."""
        if self.args.json:
            output.emit_json(self.out, body)
        elif "status" in body and "type" in body:
            output.job(self.out, body)
        elif body.get("message"):
            self.out.write(body["message"] + "\n")
        if body.get("status") == "FAILED":
            self.err.write(f"pgbackup: job {body.get('jobId')} FAILED: {body.get('message', '')}\n")
            return exits.JOB_FAILED
        return exits.OK


def run(args, environ, out, err, aws=None, stdin=None) -> int:
    s = Session(args, environ, out, err, aws, stdin)
    return COMMANDS[args.command](s)


def backup(s: Session) -> int:
    return s.finish(start_backup(s, s.args.wait))


def start_backup(s: Session, wait: bool) -> dict:
    answer = s.api.backup()
    body = require_ok(answer)
    return s.started(body, wait) if answer.status == 202 else body


def list_backups(s: Session) -> int:
    body = require_ok(s.api.backups(s.args.source))
    if s.args.json:
        output.emit_json(s.out, body)
    else:
        output.backups(s.out, body)
    return exits.OK


def status(s: Session) -> int:
    answer = s.api.job(s.args.job_id)
    if answer.status != 200:
        require_ok(answer)
    body = answer.body
    if body.get("status") == "RUNNING" and s.args.wait:
        body = s.started(body, True)
    return s.finish(body)


def retention(s: Session) -> int:
    body = require_ok(s.api.retention())
    if s.args.json:
        output.emit_json(s.out, body)
    else:
        output.retention(s.out, body)
    return exits.OK


def newest(s: Session, environment: str) -> str:
    body = require_ok(s.api.backups(environment))
    if not body.get("backups"):
        raise CliError(exits.USAGE, f"no backup of '{environment}' to restore")
    return body["backups"][0]["filename"]


def restore(s: Session) -> int:
    a = s.args
    source = a.source or s.args.environment
    if a.file and a.source and a.app and not a.file.startswith(f"{a.app}-{a.source}-on-"):
        raise CliError(exits.USAGE, f"{a.file} is not a backup of '{a.source}' (--from)")
    filename = a.file or newest(s, source)
    body = {"filename": filename}
    if a.into:
        body["into"] = a.into
    if a.tables:
        body["tables"] = a.tables
    if a.schemas:
        body["schemas"] = a.schemas
    return s.finish(do_restore(s, body, a.backup_first, a.wait))


def do_restore(s: Session, body: dict, backup_first: bool, wait: bool) -> dict:
    # the passkey first: nothing is started for a caller who cannot restore
    body["passkey"] = auth.passkey(s.aws, s.args.passkey_parameter, s.environ, s.stdin)
    if backup_first:
        s.say(f"safety backup of '{s.args.environment}'...")
        safety = start_backup(s, True)
        if safety.get("status") == "FAILED":
            raise CliError(exits.JOB_FAILED, f"the safety backup failed, nothing was restored: "
                                             f"{safety.get('message')}", safety)
        s.say(f"safety backup {safety.get('filename')} done")
    s.say(f"restoring {body['filename']}...")
    answer = s.api.restore(body)
    body.pop("passkey")
    result = require_ok(answer)
    return s.started(result, wait) if answer.status == 202 else result


def refresh(s: Session) -> int:
    """The three calls of a refresh by hand. An API restore does not take its own safety backup (it refuses with
    409 without a recent one), so the CLI takes it, after choosing the source backup so that a refresh with
    nothing to restore changes nothing."""
    if s.args.source == s.args.environment:
        raise CliError(exits.USAGE, "refresh --from names another environment (to restore this one's own "
                                    "backup: pgbackup restore)")
    filename = newest(s, s.args.source)
    s.say(f"newest backup of '{s.args.source}': {filename}")
    return s.finish(do_restore(s, {"filename": filename}, True, s.args.wait))


COMMANDS = {"backup": backup, "list": list_backups, "status": status, "retention": retention, "restore": restore,
            "refresh": refresh}
