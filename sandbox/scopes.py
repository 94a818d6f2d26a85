"""Which OAuth scopes each call needs, checked the way Mastodon's API controllers check them.

Mastodon declares the scopes of every endpoint with Doorkeeper: ``doorkeeper_authorize!``
(a token is required and must hold one of the scopes) or ``authorize_if_got_token!`` (no
token is fine; a token that comes must hold one). A broad scope covers its parts (``write``
covers ``write:statuses``), and the sets below are the ones Mastodon's controllers list:

- statuses: read ``read``/``read:statuses``, create, edit and delete ``write``/``write:statuses``
  (``Api::V1::StatusesController``, ``Api::V1::Accounts::StatusesController``);
- accounts: ``read``/``read:accounts`` (``Api::V1::AccountsController``, its lookup);
  ``verify_credentials`` also takes ``profile``, and ``update_credentials`` needs
  ``write``/``write:accounts`` (``Api::V1::Accounts::CredentialsController``);
- media: ``write``/``write:media`` for upload and reading an upload back
  (``Api::V1::MediaController``, ``Api::V2::MediaController``).

A token without them is answered 403 ``{"error": "This action is outside the authorized
scopes"}`` (``Api::BaseController#doorkeeper_forbidden_render_options``) and no
``WWW-Authenticate`` header (Doorkeeper's ``ForbiddenTokenResponse#headers`` deletes it), so a
client knows it from a refused token only by these words.
"""

from __future__ import annotations

from sandbox.errors import Forbidden
from sandbox.store import SandboxStore

READ_STATUSES = ("read", "read:statuses")
WRITE_STATUSES = ("write", "write:statuses")
READ_ACCOUNTS = ("read", "read:accounts")
CREDENTIALS = ("profile", "read", "read:accounts")
WRITE_ACCOUNTS = ("write", "write:accounts")
WRITE_MEDIA = ("write", "write:media")

OUTSIDE_SCOPES = "This action is outside the authorized scopes"


class OutsideScopes(Forbidden):
    """A valid token without any of the scopes the call needs."""

    def __init__(self) -> None:
        super().__init__(OUTSIDE_SCOPES)


def token_scopes(store: SandboxStore, token: str) -> set[str] | None:
    """The scopes a token was granted (Doorkeeper keeps them on the token: an app registered
    with ``read write`` may hold a token of ``read`` alone), its app's for a token issued
    before the sandbox kept them, or None (no app: every scope)."""
    with store.connection() as db:
        row = db.execute(
            "SELECT COALESCE(token_scopes.scopes, apps.scopes) FROM token_apps"
            " JOIN apps ON apps.id = token_apps.app_id"
            " LEFT JOIN token_scopes ON token_scopes.token = token_apps.token"
            " WHERE token_apps.token = ?",
            (token,),
        ).fetchone()
    return set(row[0].split()) if row else None


def holds_any(store: SandboxStore, token: str, needed: tuple[str, ...]) -> bool:
    """Whether the token holds one of ``needed`` (a token of no app holds every scope)."""
    scopes = token_scopes(store, token)
    return scopes is None or bool(scopes & set(needed))


def require(store: SandboxStore, token: str, needed: tuple[str, ...]) -> None:
    """:class:`OutsideScopes` unless the token holds one of ``needed``."""
    if not holds_any(store, token, needed):
        raise OutsideScopes()
