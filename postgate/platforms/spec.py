"""What Postgate knows about one platform, as data: a :class:`PlatformSpec`.

Everything that differs between platforms is a field here, read by the code that needs it
instead of a table of its own: which credentials an account needs and which of them are secret
(the connector redacts exactly those), whether it needs a server address, how long a post may
be and how the platform counts it (handed to the rule engine as :class:`rules.PlatformLimits`),
the platform's documented quotas for posting and deleting, what Postgate can rely on doing
there, and how to build the connector. The specs themselves are in
:mod:`postgate.platforms.registry`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import httpx

from postgate.platforms.base import Clock, Connector
from rules import PlatformLimits


@dataclass(frozen=True)
class Credential:
    """One field of an account's credentials.

    ``secret`` fields are redacted from every message, log line and ``repr`` a connector makes
    (invariant 9); the others (a handle, an OAuth client id) may appear, since redacting them
    would mangle the messages people read.
    """

    name: str
    secret: bool = True
    required: bool = True


@dataclass(frozen=True)
class Quota:
    """A limit the platform documents: at most ``calls`` per account in ``seconds``."""

    calls: int
    seconds: int


@dataclass(frozen=True)
class Capabilities:
    """What Postgate can rely on doing on the platform, through its connector.

    A capability the platform offers but no connector implements yet (Mastodon's edit and
    streaming API, Bluesky's firehose) stays false until one does: the product reads these
    flags to decide, so a flag must never promise a call that does not exist.
    """

    idempotency: bool  # a publish repeated with the same key is posted once by the platform
    delete: bool  # posts can be deleted through the API
    list_non_public: bool  # the listing shows every post of the account, whatever its audience
    revoke: bool  # the connector can revoke its credentials on the platform
    edit: bool = False
    streaming: bool = False
    server_limits: bool = False  # each server states its own limits (Mastodon's instance API)


class ReadBack(StrEnum):
    """How the worker learns what became of a publish whose answer was lost (invariant 5)."""

    LISTING = "listing"  # list the account since the claim and recognise the post there
    RESEND = "resend"  # send again with the same key: the receiver deduplicates (a webhook)
    NONE = "none"  # nothing can tell: the outcome is unknown at once, a person settles it


class ConnectorFactory(Protocol):
    """How a spec builds its connector; every argument comes by keyword."""

    def __call__(
        self,
        *,
        base_url: str | None,
        credentials: dict[str, str],
        secrets: Iterable[str],
        timeout: float,
        transport: httpx.BaseTransport | None,
        clock: Clock,
    ) -> Connector: ...


# (platform address, account name) -> the credentials the platform issued for that account.
CredentialIssuer = Callable[[str, str], Mapping[str, str]]


@dataclass(frozen=True)
class PlatformSpec:
    """One platform: its facts (each one cited in ``docs``) and its connector."""

    name: str
    title: str
    credentials: tuple[Credential, ...]
    limits: PlatformLimits
    capabilities: Capabilities
    connector: ConnectorFactory
    docs: tuple[str, ...]
    post_quota: Quota | None = None
    delete_quota: Quota | None = None
    # Every call of an account counts against this one (Mastodon's general API limit): the
    # request budget (postgate.budget) starts from it until the platform's headers say more.
    call_quota: Quota | None = None
    needs_base_url: bool = False
    read_back: ReadBack = ReadBack.LISTING
    # The local sandbox: its address defaults to POSTGATE_SANDBOX_URL, and it issues a token
    # for an account's name when none is given.
    local: bool = False
    issue_credentials: CredentialIssuer | None = None

    @property
    def required_credentials(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.credentials if c.required)

    @property
    def secret_credentials(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.credentials if c.secret)

    @property
    def main_credential(self) -> str:
        """The field a bare token typed in stands for (the first required one)."""
        return self.required_credentials[0]

    def missing_credentials(self, credentials: Mapping[str, str]) -> list[str]:
        """The required fields that are absent or empty, in the spec's order."""
        return [name for name in self.required_credentials if not credentials.get(name)]

    def secret_values(self, credentials: Mapping[str, str]) -> list[str]:
        """The values to redact: those of the secret fields that are set."""
        return [credentials[name] for name in self.secret_credentials if credentials.get(name)]
