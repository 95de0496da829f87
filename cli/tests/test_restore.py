import contextlib
import io
import json
import unittest

from pgbackup_cli import auth, exits
from pgbackup_cli.exits import CliError
from tests.fakes import PASSKEY, CliCase, FakeAws, Stream
from tests.test_cli import JOB, PROD_FILE, RUNNING, job

RESTORED = {"success": True, "message": "Database restored successfully from backup: " + PROD_FILE}
LISTED = {"success": True, "count": 2, "backups": [
    {"filename": PROD_FILE, "lastModified": "2026-11-28T13:25:05Z", "size": 75724},
    {"filename": PROD_FILE.replace("06-55-04", "06-50-00"), "lastModified": "2026-11-28T13:20:00Z", "size": 75000}]}


class RestoreTest(CliCase):
    def test_the_passkey_comes_from_ssm_into_the_body_never_from_argv(self):
        self.api.on("POST", "/restore", (200, RESTORED))
        self.assertEqual(0, self.run_cli("restore", PROD_FILE))
        self.assertEqual({"filename": PROD_FILE, "passkey": PASSKEY}, self.api.requests[0]["body"])
        self.assertIn("/pharmatracker/staging/restore-passkey", self.aws.reads)
        self.assertEqual(RESTORED["message"] + "\n", self.out.getvalue().splitlines(True)[-1])

    def test_no_option_takes_a_passkey(self):
        for flag in ("--passkey", "--pass", "-p"):
            with self.subTest(flag=flag), self.assertRaises(SystemExit) as e, \
                    contextlib.redirect_stderr(io.StringIO()):
                self.run_cli("restore", PROD_FILE, flag, PASSKEY)
            self.assertEqual(2, e.exception.code)
        self.assertEqual([], self.api.requests)

    def test_the_environment_variable_wins_and_a_wrong_passkey_is_never_printed(self):
        self.env["PGBACKUP_PASSKEY"] = "wrong-passkey-0xdeadbeef"
        self.api.on("POST", "/restore", (403, {"success": False, "message": "Invalid restore passkey"}))
        self.assertEqual(exits.AUTH, self.run_cli("restore", PROD_FILE, "--json"))
        self.assertEqual("wrong-passkey-0xdeadbeef", self.api.requests[0]["body"]["passkey"])
        self.assertNotIn("/pharmatracker/staging/restore-passkey", self.aws.reads)
        for text in (self.out.getvalue(), self.err.getvalue()):
            self.assertNotIn("0xdeadbeef", text)
        self.assertEqual("pgbackup: HTTP 403: Invalid restore passkey\n", self.err.getvalue())

    def test_a_caller_who_may_not_read_the_passkey_is_told_where_else_to_give_it(self):
        self.aws.denied.add("/pharmatracker/staging/restore-passkey")
        self.assertEqual(exits.AUTH, self.run_cli("restore", PROD_FILE))
        self.assertIn("PGBACKUP_PASSKEY", self.err.getvalue())
        self.assertEqual([], self.api.requests)

    def test_a_terminal_is_asked(self):
        aws = FakeAws(denied={"/p"})
        asked = []
        self.assertEqual("typed", auth.passkey(aws, "/p", {}, Stream(tty=True), lambda q: asked.append(q) or "typed"))
        self.assertEqual(["Restore passkey: "], asked)
        self.assertEqual("typed", auth.passkey(aws, None, {}, Stream(tty=True), lambda q: "typed"))
        with self.assertRaises(CliError) as e:
            auth.passkey(aws, None, {}, Stream(tty=False), lambda q: self.fail("asked without a terminal"))
        self.assertEqual(exits.USAGE, e.exception.code)

    def test_without_a_file_the_newest_backup_of_from_copy_and_tables(self):
        self.api.on("GET", "/backups?environment=production", (200, LISTED))
        self.api.on("POST", "/restore", (200, dict(RESTORED, database="pharmatracker_staging_copy_1")))
        self.assertEqual(0, self.run_cli("restore", "--from", "production", "--into", "copy",
                                         "--tables", "public.orders, public.stock_batches", "--schemas", "sales"))
        self.assertEqual({"filename": PROD_FILE, "passkey": PASSKEY, "into": "copy",
                          "tables": ["public.orders", "public.stock_batches"], "schemas": ["sales"]},
                         self.api.requests[1]["body"])

    def test_a_file_of_another_environment_than_from_is_refused(self):
        self.assertEqual(exits.USAGE, self.run_cli("restore", PROD_FILE, "--from", "qa"))
        self.assertEqual([], self.api.requests)

    def test_the_safety_check_refusal_exits_6(self):
        message = ("Safety check failed: No recent backup found from 'staging' environment within last 5 minutes. "
                   "Please create a backup first (POST /api/setting/backup) and then retry restore.")
        self.api.on("POST", "/restore", (409, {"success": False, "message": message}))
        self.assertEqual(exits.REFUSED, self.run_cli("restore", PROD_FILE))
        self.assertIn(message, self.err.getvalue())

    def test_refresh_chooses_the_source_backup_takes_the_safety_backup_then_restores(self):
        self.api.on("GET", "/backups?environment=production", (200, LISTED))
        self.api.on("POST", "/backup", (202, RUNNING))
        self.api.on("GET", "/jobs/" + JOB, (200, job("SUCCEEDED")))
        restore_job = dict(RUNNING, jobId="r-1", filename=PROD_FILE, statusUrl="/api/setting/jobs/r-1")
        self.api.on("POST", "/restore", (202, restore_job))
        self.api.on("GET", "/jobs/r-1", (200, job("RUNNING", type="RESTORE", jobId="r-1",
                                                  progress={"phase": "swapping", "percent": 99})),
                    (200, job("SUCCEEDED", type="RESTORE", jobId="r-1", filename=PROD_FILE)))
        self.assertEqual(0, self.run_cli("refresh", "--from", "production", "--wait", "--json"))
        self.assertEqual(["GET /api/setting/backups?environment=production", "POST /api/setting/backup",
                          "GET /api/setting/jobs/" + JOB, "POST /api/setting/restore", "GET /api/setting/jobs/r-1",
                          "GET /api/setting/jobs/r-1"], self.api.paths())
        self.assertEqual({"filename": PROD_FILE, "passkey": PASSKEY}, self.api.requests[3]["body"])
        final = json.loads(self.out.getvalue())
        self.assertEqual(("RESTORE", "SUCCEEDED", PROD_FILE), (final["type"], final["status"], final["filename"]))

    def test_a_failed_safety_backup_restores_nothing(self):
        self.api.on("GET", "/backups?environment=production", (200, LISTED))
        self.api.on("POST", "/backup", (202, RUNNING))
        self.api.on("GET", "/jobs/" + JOB, (200, job("FAILED", message="Backup failed: pg_dump exited 1")))
        self.assertEqual(exits.JOB_FAILED, self.run_cli("refresh", "--from", "production"))
        self.assertIn("the safety backup failed, nothing was restored", self.err.getvalue())
        self.assertNotIn("POST /api/setting/restore", self.api.paths())

    def test_refresh_with_nothing_to_restore_or_from_itself_changes_nothing(self):
        self.api.on("GET", "/backups?environment=production", (200, {"success": True, "count": 0, "backups": []}))
        self.assertEqual(exits.USAGE, self.run_cli("refresh", "--from", "production"))
        self.assertEqual(exits.USAGE, self.run_cli("refresh", "--from", "staging"))
        self.assertEqual(["GET /api/setting/backups?environment=production"], self.api.paths())

    def test_wait_gives_up_at_the_deadline_with_exit_5(self):
        from pgbackup_cli.api import Api
        from pgbackup_cli.wait import Progress, wait_for
        self.api.on("GET", "/jobs/" + JOB, (200, job("RUNNING")))
        t = [0.0]
        with self.assertRaises(CliError) as e:
            wait_for(Api(self.api.url, lambda: "t"), JOB, timeout=30, interval=10, progress=Progress(Stream()),
                     clock=lambda: t[0], sleep=lambda s: t.__setitem__(0, t[0] + s))
        self.assertEqual(exits.TIMEOUT, e.exception.code)
        self.assertEqual(4, len(self.api.requests))  # at 0, 10, 20 and 30 s

    def test_wait_outlives_a_few_throttled_or_failed_polls_not_many(self):
        self.api.on("POST", "/backup", (202, RUNNING))
        self.api.on("GET", "/jobs/" + JOB, (429, {"message": "Too Many Requests"}), (502, b"bad gateway"),
                    (503, {"message": "Service Unavailable"}), (200, job("SUCCEEDED")))
        self.assertEqual(0, self.run_cli("backup", "--wait"))
        self.api.on("GET", "/jobs/" + JOB, (503, {"message": "Service Unavailable"}))
        self.assertEqual(exits.SERVER, self.run_cli("backup", "--wait"))
        self.assertEqual("pgbackup: HTTP 503: Service Unavailable\n", self.err.getvalue())
        # each run: its POST, then 4 polls; 6 polls (5 failures tolerated, the 6th ends it)
        self.assertEqual((1 + 4) + (1 + 6), len(self.api.requests))


if __name__ == "__main__":
    unittest.main()
