import unittest

import jwt

from pgbackup_cli import auth
from tests.fakes import ARN, SECRET

NOW = 1_000_000_000  # a fixed instant: no test reads the machine's clock


class Clock:
    def __init__(self, t):
        self.t = t

    def __call__(self):
        return self.t


class TokenTest(unittest.TestCase):
    def tokens(self, clock, policy=None, reads=None):
        reads = reads if reads is not None else []

        def secret():
            reads.append("secret")
            return SECRET
        return auth.Tokens(secret, lambda: ARN, policy or auth.Policy(), clock=clock)

    def decode(self, token, **kw):
        return jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_exp": False, "verify_iat": False}, **kw)

    def test_claims_are_the_callers_identity_the_role_and_five_minutes(self):
        token = self.tokens(Clock(NOW))()
        self.assertEqual("HS256", jwt.get_unverified_header(token)["alg"])
        claims = self.decode(token)
        self.assertEqual(ARN, claims["sub"])
        self.assertEqual(["WEB_ACCESS"], claims["roles"])
        self.assertEqual(NOW, claims["iat"])
        self.assertEqual(NOW + 300, claims["exp"])
        self.assertNotIn("aud", claims)
        self.assertNotIn("iss", claims)

    def test_the_stacks_claim_role_audience_and_issuer(self):
        policy = auth.Policy(role="DBA", roles_claim="https://example.com/roles", audience="pgbackup", issuer="ci")
        claims = self.decode(self.tokens(Clock(NOW), policy)(), audience="pgbackup", issuer="ci")
        self.assertEqual(["DBA"], claims["https://example.com/roles"])
        self.assertNotIn("roles", claims)

    def test_signed_with_the_secret_only(self):
        with self.assertRaises(jwt.InvalidSignatureError):
            jwt.decode(self.tokens(Clock(NOW))(), "another-secret-of-at-least-32-bytes!!", algorithms=["HS256"],
                       options={"verify_exp": False})

    def test_reused_while_fresh_renewed_before_expiry_secret_read_once(self):
        clock, reads = Clock(NOW), []
        tokens = self.tokens(clock, reads=reads)
        first = tokens()
        clock.t = NOW + 239  # 61 s left
        self.assertEqual(first, tokens())
        clock.t = NOW + 241  # 59 s left: a new one, for 5 minutes from now
        second = tokens()
        self.assertNotEqual(first, second)
        self.assertEqual(NOW + 241 + 300, self.decode(second)["exp"])
        self.assertEqual(["secret"], reads)


if __name__ == "__main__":
    unittest.main()
