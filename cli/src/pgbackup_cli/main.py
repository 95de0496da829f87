"""pgbackup: command line, configuration (flags, then PGBACKUP_* variables), dispatch, exit codes."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Optional

from pgbackup_cli import __version__, commands, exits
from pgbackup_cli.exits import CliError
from pgbackup_cli.output import emit_json

EPILOG = """exit codes: 0 ok, 1 the job FAILED, 2 usage or input refused (400/404/413), 3 auth (AWS credentials,
SSM access, 401/403, wrong passkey), 4 API/AWS error or unreachable (5xx, 429), 5 --wait timed out, 6 refused by a
safety rule (409: no recent safety backup, a backup/restore already running; 422). The passkey is never an
argument: PGBACKUP_PASSKEY, else the stack's passkey parameter in SSM, else a prompt on a terminal."""

# (flag, variable, default, help): accepted before or after the command
SETTINGS = [
    ("--api-url", "PGBACKUP_API_URL", None, "the stack's ApiUrl output, or http://localhost:3000 for the local run"),
    ("--app", "PGBACKUP_APP", None, "the stack's AppName (names the SSM parameters)"),
    ("--environment", "PGBACKUP_ENVIRONMENT", None, "the stack's EnvironmentName, the environment --api-url serves"),
    ("--jwt-secret-parameter", "PGBACKUP_JWT_SECRET_PARAMETER", None, "default /<app>/<environment>/jwt-secret"),
    ("--passkey-parameter", "PGBACKUP_PASSKEY_PARAMETER", None, "default /<app>/<environment>/restore-passkey"),
    ("--role", "PGBACKUP_ROLE", "WEB_ACCESS", "the stack's RequiredRole"),
    ("--roles-claim", "PGBACKUP_ROLES_CLAIM", "roles", "the stack's JwtRolesClaim"),
    ("--audience", "PGBACKUP_AUDIENCE", None, "the stack's JwtAudience, if it sets one"),
    ("--issuer", "PGBACKUP_ISSUER", None, "the stack's JwtIssuer, if it sets one"),
    ("--profile", "AWS_PROFILE", None, "AWS profile (default: the standard credential chain)"),
    ("--region", "AWS_REGION", None, "AWS region of the stack's SSM parameters"),
]


def common_options(suppress: bool) -> argparse.ArgumentParser:
    """The options every command takes; SUPPRESS on the subcommands keeps a value given before the command."""
    p = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    default = {"default": argparse.SUPPRESS} if suppress else {}
    for flag, variable, fallback, text in SETTINGS:
        p.add_argument(flag, metavar=flag[2:].upper().replace("-", "_"), help=f"{text} [{variable}]", **default)
    p.add_argument("--json", action="store_true", help="print the API's JSON answer (the job's, with --wait)",
                   **default)
    p.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr", **default)
    p.add_argument("--timeout", type=float, metavar="SECONDS",
                   help="--wait gives up after this (default: the job's maxDurationSeconds + 120)", **default)
    p.add_argument("--poll-interval", type=float, metavar="SECONDS", help="--wait polls this often (2)", **default)
    return p


def parser() -> argparse.ArgumentParser:
    # no abbreviations: "--passkey X" would otherwise be taken for --passkey-parameter, and X end up in a message
    top = argparse.ArgumentParser(prog="pgbackup", parents=[common_options(False)], epilog=EPILOG, allow_abbrev=False,
                                  description="Back up, list, restore and refresh the PostgreSQL database of a "
                                              "pg-backup stack, with a short-lived token signed from SSM.")
    top.add_argument("--version", action="version", version="pgbackup " + __version__)
    sub = top.add_subparsers(dest="command", metavar="COMMAND", required=True)
    opts = {"parents": [common_options(True)], "allow_abbrev": False}
    wait = {"action": "store_true", "help": "wait for the job to finish, with its progress on stderr"}

    p = sub.add_parser("backup", **opts, help="back up this environment's database (on-demand)")
    p.add_argument("--wait", **wait)
    p = sub.add_parser("list", **opts, help="backups of every environment, newest first")
    p.add_argument("--from", dest="source", metavar="ENV", help="only this environment's backups")
    p = sub.add_parser("status", **opts, help="a job's status (backup, restore, drill)")
    p.add_argument("job_id", metavar="JOB_ID")
    p.add_argument("--wait", **wait)
    sub.add_parser("retention", **opts, help="what retention would keep and delete now, and why (dry run)")
    p = sub.add_parser("restore", **opts, help="restore a backup into this environment (or beside it)")
    p.add_argument("file", metavar="FILE", nargs="?", help="the backup; default: the newest of --from (or this one)")
    p.add_argument("--from", dest="source", metavar="ENV", help="the environment the backup comes from")
    p.add_argument("--into", choices=["copy"], help="copy: into a new database beside the current one")
    p.add_argument("--tables", type=names, metavar="S.T,...", help="only these tables (into a copy)")
    p.add_argument("--schemas", type=names, metavar="S,...", help="only these schemas' tables (into a copy)")
    p.add_argument("--backup-first", action="store_true", help="take this environment's safety backup first")
    p.add_argument("--wait", **wait)
    p = sub.add_parser("refresh", **opts, help="safety backup here, then the newest backup of ENV restored")
    p.add_argument("--from", dest="source", metavar="ENV", required=True, help="the source environment")
    p.add_argument("--wait", **wait)
    return top


def names(text: str) -> list:
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise argparse.ArgumentTypeError("give at least one name")
    return items


def settings(args: argparse.Namespace, environ) -> argparse.Namespace:
    """Flags win over variables, variables over defaults; the SSM names follow the stack's convention."""
    for flag, variable, fallback, _ in SETTINGS:
        attr = flag[2:].replace("-", "_")
        if getattr(args, attr, None) is None:
            setattr(args, attr, environ.get(variable) or fallback)
    for attr, default in (("json", False), ("quiet", False), ("timeout", None), ("poll_interval", 2.0)):
        if not hasattr(args, attr):
            setattr(args, attr, default)
    if not args.api_url:
        raise CliError(exits.USAGE, "no API: give --api-url or PGBACKUP_API_URL (the stack's ApiUrl output)")
    if not args.environment:
        raise CliError(exits.USAGE, "no environment: give --environment or PGBACKUP_ENVIRONMENT")
    if not args.jwt_secret_parameter:
        if not args.app:
            raise CliError(exits.USAGE, "no --app (PGBACKUP_APP) to name the parameter /<app>/<env>/jwt-secret; "
                                        "give it, or --jwt-secret-parameter")
        args.jwt_secret_parameter = f"/{args.app}/{args.environment}/jwt-secret"
    if not args.passkey_parameter and args.app:
        args.passkey_parameter = f"/{args.app}/{args.environment}/restore-passkey"
    return args


def main(argv: Optional[list] = None, environ=None, out=None, err=None, aws=None, stdin=None) -> int:
    environ = os.environ if environ is None else environ
    out, err = out or sys.stdout, err or sys.stderr
    args = parser().parse_args(argv)  # a usage error exits 2 here
    try:
        settings(args, environ)
        return commands.run(args, environ, out, err, aws, stdin or sys.stdin)
    except CliError as e:
        if args.json and e.body is not None:
            emit_json(out, e.body)
        err.write(f"pgbackup: {e.message}\n")
        return e.code
    except KeyboardInterrupt:
        err.write("pgbackup: interrupted (a job already started goes on; see pgbackup status JOB_ID)\n")
        return exits.INTERRUPTED
