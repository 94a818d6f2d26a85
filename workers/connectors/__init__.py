"""Platform connectors: publish, delete, list, verify and revoke on each platform.

Workers call :func:`connector_for` and handle the three error kinds; nothing
outside this package knows any platform's HTTP API.
"""

from .base import (
    AccountInfo,
    Connector,
    ConnectorError,
    CredentialsError,
    MalformedResponseError,
    PermanentError,
    RemotePost,
    RetryableError,
)
from .registry import REQUIRED_CREDENTIALS, connector_for

__all__ = [
    "REQUIRED_CREDENTIALS",
    "AccountInfo",
    "Connector",
    "ConnectorError",
    "CredentialsError",
    "MalformedResponseError",
    "PermanentError",
    "RemotePost",
    "RetryableError",
    "connector_for",
]
