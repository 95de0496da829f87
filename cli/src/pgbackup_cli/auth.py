"""Who the caller is and what it may do, from its own AWS credentials: no token or secret is ever written to disk.

Being allowed to read the stack's JWT secret (ssm:GetParameter, and kms:Decrypt on its key) is the gate: the CLI
signs a token of a few minutes with it, whose subject is the caller's IAM identity (STS GetCallerIdentity, which
needs no permission), so the stack's audit lines name the person or pipeline role that acted.
"""

from __future__ import annotations

import getpass
import os
import sys
import time
from typing import Callable, Optional

import jwt

from pgbackup_cli import exits
from pgbackup_cli.exits import CliError

TOKEN_LIFETIME_SECONDS = 300
# a token with less than this left is replaced before a request, so a long --wait never sends an expired one
RENEW_BEFORE_SECONDS = 60
PASSKEY_VARIABLE = "PGBACKUP_PASSKEY"

DENIED = {"AccessDenied", "AccessDeniedException", "UnrecognizedClientException", "InvalidClientTokenId",
          "ExpiredToken", "ExpiredTokenException", "InvalidSignatureException", "SignatureDoesNotMatch",
          "KMSAccessDeniedException", "KMS.AccessDeniedException", "KmsAccessDenied"}


class Aws:
    """SSM and STS with the standard credential chain (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, roles...)."""

    def __init__(self, profile: Optional[str] = None, region: Optional[str] = None, session=None):
        self._profile = profile
        self._region = region
        self._session = session

    def session(self):
        if self._session is None:
            import boto3  # imported on first use: --help and usage errors need no AWS
            self._session = boto3.session.Session(profile_name=self._profile, region_name=self._region)
        return self._session

    def parameter(self, name: str, what: str) -> str:
        """A (SecureString) parameter's decrypted value; a CliError naming only the parameter otherwise."""
        return self._call(lambda: self.session().client("ssm").get_parameter(Name=name, WithDecryption=True)
                          ["Parameter"]["Value"], f"read {what} from SSM parameter {name}")

    def identity(self) -> str:
        return self._call(lambda: self.session().client("sts").get_caller_identity()["Arn"],
                          "ask STS who the caller is (GetCallerIdentity)")

    @staticmethod
    def _call(fn: Callable[[], str], doing: str) -> str:
        from botocore import exceptions as bx
        try:
            return fn()
        except (bx.NoCredentialsError, bx.PartialCredentialsError, bx.ProfileNotFound) as e:
            raise CliError(exits.AUTH, f"cannot {doing}: no usable AWS credentials ({e.__class__.__name__})") from None
        except bx.NoRegionError:
            raise CliError(exits.USAGE, f"cannot {doing}: no AWS region (set AWS_REGION or --region)") from None
        except bx.ClientError as e:
            code = e.response.get("Error", {}).get("Code", "")
            if code == "ParameterNotFound":
                raise CliError(exits.USAGE, f"cannot {doing}: no such parameter (check --app and --environment, "
                                            "or name the parameter)") from None
            if code in DENIED or "AccessDenied" in code:
                raise CliError(exits.AUTH, f"cannot {doing}: access denied ({code}); the caller needs "
                                           "ssm:GetParameter on it and kms:Decrypt on its key") from None
            raise CliError(exits.SERVER, f"cannot {doing}: AWS answered {code or 'an error'}") from None
        except (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ReadTimeoutError) as e:
            raise CliError(exits.SERVER, f"cannot {doing}: AWS could not be reached ({e.__class__.__name__})") from None


class Policy:
    """What the stack requires of a token (its parameters RequiredRole, JwtRolesClaim, JwtAudience, JwtIssuer)."""

    def __init__(self, role: str = "WEB_ACCESS", roles_claim: str = "roles", audience: Optional[str] = None,
                 issuer: Optional[str] = None):
        self.role = role
        self.roles_claim = roles_claim
        self.audience = audience or None
        self.issuer = issuer or None


class Tokens:
    """HS256 tokens of TOKEN_LIFETIME_SECONDS for one subject, minted in memory and renewed before they expire."""

    def __init__(self, secret: Callable[[], str], subject: Callable[[], str], policy: Policy,
                 clock: Callable[[], float] = time.time, lifetime: int = TOKEN_LIFETIME_SECONDS):
        self._secret = secret
        self._subject = subject
        self._policy = policy
        self._clock = clock
        self._lifetime = lifetime
        self._key = None
        self._sub = None
        self._token = None
        self._expires = 0

    def __call__(self) -> str:
        now = int(self._clock())
        if self._token is None or self._expires - now < RENEW_BEFORE_SECONDS:
            self._token, self._expires = self.mint(now), now + self._lifetime
        return self._token

    def mint(self, now: int) -> str:
        if self._key is None:
            self._key = self._secret()
            self._sub = self._subject()
        claims = {"sub": self._sub, "iat": now, "exp": now + self._lifetime,
                  self._policy.roles_claim: [self._policy.role]}
        if self._policy.audience:
            claims["aud"] = self._policy.audience
        if self._policy.issuer:
            claims["iss"] = self._policy.issuer
        return jwt.encode(claims, self._key, algorithm="HS256")


def passkey(aws: Aws, parameter: str, environ=os.environ, stdin=sys.stdin,
            prompt: Callable[[str], str] = getpass.getpass) -> str:
    """The restore passkey, never from the command line (other users see process arguments): the environment
    variable PGBACKUP_PASSKEY, else the stack's passkey parameter when the caller may read it, else a prompt on a
    terminal."""
    given = environ.get(PASSKEY_VARIABLE)
    if given:
        return given
    if parameter:
        try:
            return aws.parameter(parameter, "the restore passkey")
        except CliError as e:
            if e.code != exits.AUTH or not stdin.isatty():
                if e.code == exits.AUTH:
                    e.message += f"; or give the passkey in {PASSKEY_VARIABLE}"
                raise
    elif not stdin.isatty():
        raise CliError(exits.USAGE, f"no restore passkey: set {PASSKEY_VARIABLE}, or --app/--passkey-parameter "
                                    "to read it from SSM")
    value = prompt("Restore passkey: ")
    if not value:
        raise CliError(exits.USAGE, "no restore passkey given")
    return value
