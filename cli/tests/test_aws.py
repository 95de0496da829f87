import unittest

from botocore import exceptions as bx

from pgbackup_cli import exits
from pgbackup_cli.auth import Aws
from pgbackup_cli.exits import CliError

SECRET_VALUE = "s3cr3t-value-never-in-a-message"


def raising(error):
    def fn():
        raise error
    return fn


def client_error(code, message="User: arn:aws:iam::1:user/x is not authorized"):
    return bx.ClientError({"Error": {"Code": code, "Message": message}}, "GetParameter")


class AwsErrorsTest(unittest.TestCase):
    """What the SDK raises becomes an exit code and a message that names the parameter, never a value."""

    def code_of(self, error):
        with self.assertRaises(CliError) as e:
            Aws._call(raising(error), "read the JWT secret from SSM parameter /app/env/jwt-secret")
        self.assertIn("/app/env/jwt-secret", e.exception.message)
        self.assertNotIn(SECRET_VALUE, e.exception.message)
        return e.exception.code

    def test_not_allowed_is_auth(self):
        self.assertEqual(exits.AUTH, self.code_of(client_error("AccessDeniedException")))
        self.assertEqual(exits.AUTH, self.code_of(client_error("ExpiredTokenException")))
        self.assertEqual(exits.AUTH, self.code_of(bx.NoCredentialsError()))
        self.assertEqual(exits.AUTH, self.code_of(bx.ProfileNotFound(profile="ops")))

    def test_a_wrong_name_or_no_region_is_usage(self):
        self.assertEqual(exits.USAGE, self.code_of(client_error("ParameterNotFound")))
        self.assertEqual(exits.USAGE, self.code_of(bx.NoRegionError()))

    def test_aws_failing_is_server(self):
        self.assertEqual(exits.SERVER, self.code_of(client_error("InternalServerError", SECRET_VALUE)))
        self.assertEqual(exits.SERVER, self.code_of(client_error("ThrottlingException")))
        self.assertEqual(exits.SERVER, self.code_of(bx.EndpointConnectionError(endpoint_url="https://ssm")))

    def test_the_value_is_returned(self):
        self.assertEqual(SECRET_VALUE, Aws._call(lambda: SECRET_VALUE, "read"))


if __name__ == "__main__":
    unittest.main()
