import contextlib
import io
import json
import unittest

import jwt

from pgbackup_cli import exits
from tests.fakes import ARN, SECRET, CliCase

PROD_FILE = "pharmatracker-production-on-2026-11-28-at-06-55-04-PM-IST.dump"
STAGING_FILE = "pharmatracker-staging-on-2026-11-28-at-06-55-06-PM-IST.dump"
JOB = "65881bb1-8d97-426d-a460-ec4b18141994"
RUNNING = {"success": True, "status": "RUNNING", "jobId": JOB, "filename": STAGING_FILE,
           "statusUrl": "/api/setting/jobs/" + JOB, "maxDurationSeconds": 855}


def job(status, **more):
    body = {"success": status != "FAILED", "jobId": JOB, "type": "BACKUP", "status": status,
            "environment": "staging", "filename": STAGING_FILE, "createdAt": "2026-11-28T13:25:05Z",
            "maxDurationSeconds": 855}
    body.update(more)
    return body


class CliTest(CliCase):
    def test_list_prints_a_table_and_json_prints_the_apis_answer(self):
        body = {"success": True, "count": 1, "backups": [{"filename": PROD_FILE, "lastModified": "2026-11-28T13:25:05Z",
                                                          "size": 75724}]}
        self.api.on("GET", "/backups", (200, body))
        self.assertEqual(0, self.run_cli("list"))
        self.assertIn(PROD_FILE + "  2026-11-28T13:25:05Z  75.7 KB", self.out.getvalue())
        self.assertEqual(0, self.run_cli("--json", "list"))
        self.assertEqual(body, json.loads(self.out.getvalue()))

    def test_every_request_carries_a_token_of_the_caller_from_the_ssm_secret(self):
        self.api.on("GET", "/backups?environment=production", (200, {"success": True, "count": 0, "backups": []}))
        self.assertEqual(0, self.run_cli("list", "--from", "production"))
        header = self.api.requests[0]["headers"]["Authorization"]
        self.assertTrue(header.startswith("Bearer "))
        claims = jwt.decode(header[7:], SECRET, algorithms=["HS256"], options={"verify_exp": False})
        self.assertEqual(ARN, claims["sub"])
        self.assertEqual(300, claims["exp"] - claims["iat"])
        self.assertEqual(["/pharmatracker/staging/jwt-secret"], self.aws.reads)

    def test_backup_answered_synchronously(self):
        self.api.on("POST", "/backup", (200, {"success": True, "filename": STAGING_FILE,
                                              "message": "Database backup created successfully: " + STAGING_FILE}))
        self.assertEqual(0, self.run_cli("backup", "--wait"))
        self.assertEqual("Database backup created successfully: " + STAGING_FILE + "\n", self.out.getvalue())
        self.assertEqual({}, self.api.requests[0]["body"])

    def test_backup_wait_follows_the_job_with_its_progress_on_stderr(self):
        progress = {"phase": "dumping and uploading", "bytesDone": 29602060, "bytesTotal": 35973064, "percent": 82,
                    "current": "public.stock_batches"}
        self.api.on("POST", "/backup", (202, RUNNING))
        self.api.on("GET", "/jobs/" + JOB, (200, job("RUNNING")), (200, job("RUNNING", progress=progress)),
                    (200, job("SUCCEEDED", message="Database backup created successfully: " + STAGING_FILE)))
        self.assertEqual(0, self.run_cli("backup", "--wait", "--json"))
        self.assertEqual("SUCCEEDED", json.loads(self.out.getvalue())["status"])
        self.assertIn("BACKUP " + JOB + " RUNNING: dumping and uploading 82% (29.6 MB of ~36.0 MB, public.stock_batches)",
                      self.err.getvalue())
        self.assertNotIn("\r", self.err.getvalue())

    def test_a_terminal_gets_a_bar_redrawn_in_place(self):
        self.api.on("POST", "/backup", (202, RUNNING))
        self.api.on("GET", "/jobs/" + JOB, (200, job("RUNNING", progress={"phase": "restoring data", "percent": 50})),
                    (200, job("SUCCEEDED")))
        self.assertEqual(0, self.run_cli("backup", "--wait", tty=True))
        self.assertIn("\r\033[K[" + "#" * 15 + "-" * 15 + "]  50% restoring data", self.err.getvalue())
        self.assertTrue(self.err.getvalue().endswith("\r\033[K"))  # the bar is cleared before the outcome

    def test_backup_without_wait_names_the_job_to_follow(self):
        self.api.on("POST", "/backup", (202, RUNNING))
        self.assertEqual(0, self.run_cli("backup"))
        self.assertIn("pgbackup status " + JOB + " --wait", self.out.getvalue())
        self.assertEqual(["POST /api/setting/backup"], self.api.paths())

    def test_a_failed_job_exits_1(self):
        self.api.on("GET", "/jobs/" + JOB, (200, job("RUNNING")), (200, job("FAILED", message="Backup failed: x")))
        self.assertEqual(exits.JOB_FAILED, self.run_cli("status", JOB, "--wait"))
        self.assertIn("FAILED: Backup failed: x", self.err.getvalue())
        self.assertEqual(exits.JOB_FAILED, self.run_cli("status", JOB))  # the last answer repeats: FAILED

    def test_status_prints_the_job(self):
        self.api.on("GET", "/jobs/" + JOB, (200, job("SUCCEEDED", durationMs=4812, bytes=35973048)))
        self.assertEqual(0, self.run_cli("status", JOB))
        self.assertIn("BACKUP " + JOB + " SUCCEEDED\n", self.out.getvalue())
        self.assertIn("  duration: 4.8 s\n  size: 36.0 MB\n", self.out.getvalue())

    def test_exit_codes_of_api_answers(self):
        cases = [(400, {}, exits.USAGE), (401, {}, exits.AUTH), (403, {}, exits.AUTH), (404, {}, exits.USAGE),
                 (409, {}, exits.REFUSED), (413, {}, exits.USAGE), (422, {}, exits.REFUSED), (429, {}, exits.SERVER),
                 (500, {"jobId": JOB}, exits.JOB_FAILED), (500, {}, exits.SERVER), (503, {}, exits.SERVER)]
        for status, extra, code in cases:
            with self.subTest(status=status):
                self.api.on("POST", "/backup", (status, dict({"success": False, "message": "m" + str(status)}, **extra)))
                self.assertEqual(code, self.run_cli("backup"))
                self.assertEqual(f"pgbackup: HTTP {status}: m{status}\n", self.err.getvalue())

    def test_json_prints_the_apis_error_too(self):
        body = {"success": False, "message": "A backup of 'staging' is already running (job " + JOB + ")"}
        self.api.on("POST", "/backup", (409, body))
        self.assertEqual(exits.REFUSED, self.run_cli("backup", "--json"))
        self.assertEqual(body, json.loads(self.out.getvalue()))

    def test_an_api_that_cannot_be_reached_or_answers_no_json(self):
        self.api.on("GET", "/retention", (502, b"<html>bad gateway</html>"))
        self.assertEqual(exits.SERVER, self.run_cli("retention"))
        self.assertIn("not JSON", self.err.getvalue())
        self.env["PGBACKUP_API_URL"] = "http://127.0.0.1:9"  # discard port: nothing listens
        self.assertEqual(exits.SERVER, self.run_cli("retention"))
        self.assertIn("cannot reach the API", self.err.getvalue())

    def test_usage_errors_exit_2(self):
        with self.assertRaises(SystemExit) as e, contextlib.redirect_stderr(io.StringIO()):
            self.run_cli("nonsense")
        self.assertEqual(2, e.exception.code)
        del self.env["PGBACKUP_API_URL"]
        self.assertEqual(exits.USAGE, self.run_cli("list"))
        self.assertIn("--api-url", self.err.getvalue())
        self.env["PGBACKUP_API_URL"] = self.api.url
        del self.env["PGBACKUP_APP"]
        self.assertEqual(exits.USAGE, self.run_cli("list"))
        self.assertEqual([], self.api.requests)

    def test_options_before_or_after_the_command_flags_over_variables(self):
        self.api.on("GET", "/backups", (200, {"success": True, "count": 0, "backups": []}))
        self.aws.parameters["/other/qa/jwt-secret"] = SECRET
        self.assertEqual(0, self.run_cli("--app", "other", "list", "--environment", "qa", "--json"))
        self.assertEqual(["/other/qa/jwt-secret"], self.aws.reads)
        self.assertEqual({"success": True, "count": 0, "backups": []}, json.loads(self.out.getvalue()))

    def test_not_allowed_to_read_the_secret_exits_3_before_any_request(self):
        self.aws.denied.add("/pharmatracker/staging/jwt-secret")
        self.assertEqual(exits.AUTH, self.run_cli("list"))
        self.assertIn("/pharmatracker/staging/jwt-secret", self.err.getvalue())
        self.assertEqual([], self.api.requests)

    def test_retention_preview(self):
        body = {"success": True, "environment": "staging",
                "policy": {"timeZone": "Asia/Kolkata", "scheduled": {"rule": "count", "count": 30, "dailyDays": 0,
                           "weeklyWeeks": 0, "monthlyMonths": 0, "minCount": 0},
                           "onDemand": {"count": 10, "maxAgeDays": 7}},
                "keep": [{"filename": STAGING_FILE, "class": "on-demand", "reasons": ["on-demand: newest 10"]}],
                "delete": []}
        self.api.on("GET", "/retention", (200, body))
        self.assertEqual(0, self.run_cli("retention"))
        self.assertIn("scheduled: newest 30; on-demand: newest 10, at most 7 days", self.out.getvalue())
        self.assertIn("keep (1):\n  " + STAGING_FILE + "  [on-demand]  on-demand: newest 10\ndelete (0):\n",
                      self.out.getvalue())


if __name__ == "__main__":
    unittest.main()
