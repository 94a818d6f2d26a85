"""The subset of the Mastodon HTTP API that Postgate's Mastodon connector uses.

Views only parse input, call the store and render entities; failures are raised as
``SandboxError`` subclasses and rendered by the app's one error handler.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from sandbox import media as sandbox_media
from sandbox import profile, scopes
from sandbox.entities import account_json, link_header, status_json
from sandbox.errors import BadRequest, NotFound, Unauthorized
from sandbox.realism import validate_length
from sandbox.state import current_state
from sandbox.store import Account, Status
from sandbox.switches import current_realism

bp = Blueprint("mastodon", __name__)

PUBLIC = ("public", "unlisted")
MAX_ID = 2**63 - 1  # SQLite's INTEGER range
DEFAULT_LIMIT, MAX_LIMIT = 20, 40


def identify() -> Account | None:
    """Resolve the bearer token once per request, remembering why a bad one failed."""
    if "sandbox_account" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        g.sandbox_account, g.sandbox_auth_error = None, None
        g.sandbox_token = token.strip() if scheme.lower() == "bearer" else ""
        if g.sandbox_token:
            owner, revoked = current_state().store.token_owner(g.sandbox_token)
            g.sandbox_account = None if revoked else owner
            if revoked:
                g.sandbox_auth_error = "The access token was revoked"
            elif owner is None:
                g.sandbox_auth_error = "The access token is invalid"
    return g.sandbox_account


def viewer(*, required: bool, needs: tuple[str, ...]) -> Account | None:
    """The token's account; a bad token is refused even where anonymous access is fine, and
    a token that comes must hold one of the scopes ``needs`` (:mod:`sandbox.scopes`), as
    Mastodon's ``doorkeeper_authorize!`` and ``authorize_if_got_token!`` require."""
    account = identify()
    if g.sandbox_auth_error:
        raise Unauthorized(g.sandbox_auth_error)
    if account is None and required:
        raise Unauthorized("The access token is invalid")
    if account is not None:
        scopes.require(current_state().store, g.sandbox_token, needs)
    return account


def form_data() -> dict[str, Any]:
    """Parameters from a JSON or form-encoded body, as Mastodon accepts both."""
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise BadRequest("Invalid JSON body")
        return data
    return request.form.to_dict()


def string_field(data: dict[str, Any], name: str, default: str = "") -> str:
    """A text parameter; other JSON types are malformed input, not a server error."""
    value = data.get(name, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise BadRequest(f"{name} must be a string")
    return value


def id_param(raw: str | None) -> int | None:
    """A numeric pagination id from the query string; junk is malformed input."""
    if raw is None or raw == "":
        return None
    if not _is_id(raw):
        raise BadRequest(f"Invalid id: {raw}")
    return int(raw)


def _is_id(raw: str) -> bool:
    return raw.isascii() and raw.isdigit() and int(raw) <= MAX_ID


def record_id(raw: str) -> int:
    """A record id from the path; a non-number matches no record (0), hence 404."""
    return int(raw) if _is_id(raw) else 0


def is_owner(caller: Account | None, account: Account) -> bool:
    """Owners see their private statuses too; others only public and unlisted ones."""
    return caller is not None and caller.id == account.id


def visible_status(raw_id: str, account: Account | None) -> tuple[Status, Account]:
    """A live status the viewer may see, with its author; 404 otherwise, like Mastodon."""
    state = current_state()
    status = state.store.status(record_id(raw_id))
    if status is None or status.deleted_at is not None:
        raise NotFound()
    author = state.store.account_by_id(status.account_id)
    if author is None or (status.visibility not in PUBLIC and not is_owner(account, author)):
        raise NotFound()
    return status, author


@bp.post("/api/v1/statuses")
def create_status() -> Response:
    """Publish; a repeated Idempotency-Key within its TTL (an hour) returns the first status."""
    account = viewer(required=True, needs=scopes.WRITE_STATUSES)
    assert account is not None
    data = form_data()
    state = current_state()
    text, rules = string_field(data, "status"), state.behaviour
    validate_length(text)
    key = request.headers.get("Idempotency-Key", "").strip() if rules.idempotency else ""
    media_ids = sandbox_media.media_state().check_attachable(account.id, media_ids_of(data))
    status, created = state.store.create_status(
        account.id,
        text,
        string_field(data, "visibility", "public") or "public",
        key,
        idempotency_ttl_ms=rules.idempotency_ttl_seconds * 1000,
    )
    if created and media_ids:
        sandbox_media.media_state().attach(status.id, media_ids)
    state.stats.add("creates", int(created))
    return jsonify(with_media(status_json(status, account, state.base()), status.id))


def media_ids_of(data: dict[str, Any]) -> list[Any]:
    """``media_ids`` from JSON (a list) or a form (``media_ids[]``), as Mastodon takes it."""
    if request.is_json:
        ids = data.get("media_ids") or []
        if not isinstance(ids, list):
            raise BadRequest("media_ids must be an array")
        return ids
    return request.form.getlist("media_ids[]")


def with_media(body: dict[str, Any], status_id: int) -> dict[str, Any]:
    """A Status with its ``media_attachments`` (sandbox/media.py keeps them)."""
    body["media_attachments"] = sandbox_media.attachments_of(status_id, current_state().base())
    return body


@bp.get("/api/v1/statuses/<status_id>")
def get_status(status_id: str) -> Response:
    """One status, or 404 when absent, deleted or not visible to the caller."""
    status, author = visible_status(status_id, viewer(required=False, needs=scopes.READ_STATUSES))
    return jsonify(with_media(status_json(status, author, current_state().base()), status.id))


@bp.delete("/api/v1/statuses/<status_id>")
def delete_status(status_id: str) -> Response:
    """Delete the caller's own status; answers it with its source ``text``."""
    account = viewer(required=True, needs=scopes.WRITE_STATUSES)
    assert account is not None
    state = current_state()
    status = state.store.delete_status(record_id(status_id), account.id)
    state.stats.add("deletes")
    return jsonify(status_json(status, account, state.base(), with_source=True))


@bp.get("/api/v1/accounts/verify_credentials")
def verify_credentials() -> Response:
    """The token's account with its profile and Mastodon's ``source`` block."""
    account = viewer(required=True, needs=scopes.CREDENTIALS)
    assert account is not None
    return jsonify(profile.credential_account(account))


@bp.get("/api/v1/accounts/lookup")
def lookup_account() -> Response:
    """Find an account by ``acct`` without creating it (Mastodon's lookup)."""
    viewer(required=False, needs=scopes.READ_ACCOUNTS)
    state = current_state()
    account = state.store.account(request.args.get("acct", "").lstrip("@"), create=False)
    if account is None:
        raise NotFound()
    return jsonify(_public_account(account))


@bp.get("/api/v1/accounts/<account_id>")
def get_account(account_id: str) -> Response:
    """An account by numeric id."""
    viewer(required=False, needs=scopes.READ_ACCOUNTS)
    state = current_state()
    account = state.store.account_by_id(record_id(account_id))
    if account is None:
        raise NotFound()
    return jsonify(_public_account(account))


def _public_account(account: Account) -> dict[str, Any]:
    state = current_state()
    body = account_json(account, state.base(), state.store.count_live(account.id))
    return profile.with_profile(body, account, state.base())


@bp.get("/api/v1/accounts/<account_id>/statuses")
def account_statuses(account_id: str) -> Response:
    """The account's statuses, newest first, with a Mastodon-style ``Link`` header."""
    caller = viewer(required=False, needs=scopes.READ_STATUSES)
    state = current_state()
    account = state.store.account_by_id(record_id(account_id))
    if account is None:
        raise NotFound()
    limit = limit_param(request.args.get("limit"))
    page = state.store.statuses_page(
        account.id,
        limit=limit,
        max_id=id_param(request.args.get("max_id")),
        since_id=id_param(request.args.get("since_id")),
        min_id=id_param(request.args.get("min_id")),
        include_private=is_owner(caller, account) and current_realism().owner_sees_all,
    )
    hidden = state.current_faults().unlisted_ids  # a listing that leaves some out
    response = jsonify(
        [
            with_media(status_json(status, account, state.base()), status.id)
            for status in page
            if str(status.id) not in hidden
        ]
    )
    url = f"{state.base()}/api/v1/accounts/{account.id}/statuses"
    link = link_header(url, page, limit if "limit" in request.args else None)
    if link:
        response.headers["Link"] = link
    return response


def limit_param(raw: str | None) -> int:
    """Mastodon's ``limit``: default 20, clamped to 1..40, junk means the default."""
    try:
        return min(max(int(raw or ""), 1), MAX_LIMIT)
    except ValueError:
        return DEFAULT_LIMIT
