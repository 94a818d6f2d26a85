"""Profiles: ``PATCH /api/v1/accounts/update_credentials`` and what the Account shows of them.

What Mastodon does (mastodon/mastodon ``app/controllers/api/v1/accounts/credentials_controller
.rb``, ``UpdateAccountService``; https://docs.joinmastodon.org/methods/accounts/#update_credentials):
the owner's token changes ``display_name``, ``note`` (the bio), ``avatar`` and ``header``
(image uploads, multipart) and up to four profile ``fields_attributes`` (``[i][name]``,
``[i][value]``); the answer is the CredentialAccount, as ``GET /api/v1/accounts/
verify_credentials`` gives it: ``note`` rendered as HTML, ``source.note`` and
``source.fields`` as typed, ``avatar``/``header`` the URLs of the stored images.

An attacker holding the token changes the profile this way; the watch must notice
(``docs/crisis.md``, "Watch"). Mastodon streams no event for it, so neither does the sandbox.
"""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, jsonify, request

import sandbox.api as mastodon_api  # its token check; api imports this module too
from sandbox import scopes
from sandbox.entities import account_json
from sandbox.errors import Invalid
from sandbox.state import current_state
from sandbox.store import Account, SandboxStore, now_ms

bp = Blueprint("sandbox_profile", __name__)

MAX_FIELDS = 4  # Mastodon's DEFAULT_FIELDS_SIZE
MAX_DISPLAY_NAME, MAX_NOTE, MAX_FIELD = 30, 500, 255
SCHEMA = """
CREATE TABLE IF NOT EXISTS profiles (
    account_id INTEGER PRIMARY KEY,
    display_name TEXT,
    note TEXT NOT NULL DEFAULT '',
    avatar TEXT NOT NULL DEFAULT '',
    header TEXT NOT NULL DEFAULT '',
    fields TEXT NOT NULL DEFAULT '[]',
    updated_at INTEGER NOT NULL
);
"""


@dataclass(frozen=True)
class Profile:
    """What an account shows of itself; ``avatar``/``header``: the image's hash, or ""."""

    display_name: str | None = None
    note: str = ""
    avatar: str = ""
    header: str = ""
    fields: tuple[tuple[str, str], ...] = ()


def create_schema(store: SandboxStore) -> None:
    with store.connection() as db:
        db.executescript(SCHEMA)


def load(store: SandboxStore, account_id: int) -> Profile:
    with store.connection() as db:
        row = db.execute(
            "SELECT display_name, note, avatar, header, fields FROM profiles WHERE account_id = ?",
            (account_id,),
        ).fetchone()
    if row is None:
        return Profile()
    fields = tuple((str(n), str(v)) for n, v in json.loads(row[4]))
    return Profile(row[0], row[1], row[2], row[3], fields)


def save(store: SandboxStore, account_id: int, profile: Profile) -> None:
    with store.connection() as db:
        db.execute(
            "INSERT OR REPLACE INTO profiles"
            " (account_id, display_name, note, avatar, header, fields, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                account_id,
                profile.display_name,
                profile.note,
                profile.avatar,
                profile.header,
                json.dumps([list(f) for f in profile.fields]),
                now_ms(),
            ),
        )


def with_profile(body: dict[str, Any], account: Account, base: str) -> dict[str, Any]:
    """An Account entity showing the account's profile (``note`` as Mastodon renders it)."""
    profile = load(current_state().store, account.id)
    body["display_name"] = (
        profile.display_name if profile.display_name is not None else account.username
    )
    body["note"] = _paragraphs(profile.note)
    body["fields"] = [
        {"name": name, "value": html.escape(value), "verified_at": None}
        for name, value in profile.fields
    ]
    for kind in ("avatar", "header"):
        url = _image_url(base, kind, account.id, getattr(profile, kind))
        body[kind] = body[f"{kind}_static"] = url
    return body


def credential_account(account: Account) -> dict[str, Any]:
    """The CredentialAccount: the Account with its ``source`` block."""
    state = current_state()
    body = with_profile(
        account_json(account, state.base(), state.store.count_live(account.id)),
        account,
        state.base(),
    )
    profile = load(state.store, account.id)
    source_fields = [{"name": n, "value": v, "verified_at": None} for n, v in profile.fields]
    body["source"] = {"privacy": "public", "sensitive": False, "language": None}
    body["source"] |= {"note": profile.note, "fields": source_fields, "follow_requests_count": 0}
    return body


def _paragraphs(note: str) -> str:
    """Mastodon's plain-text formatting of a bio: escaped, one ``<p>`` per paragraph."""
    if not note.strip():
        return ""
    parts = [html.escape(p).replace("\n", "<br />") for p in note.split("\n\n") if p.strip()]
    return "".join(f"<p>{p}</p>" for p in parts)


def _image_url(base: str, kind: str, account_id: int, digest: str) -> str:
    if not digest:
        return f"{base}/{kind}s/original/missing.png"
    return f"{base}/system/accounts/{kind}s/{account_id:09d}/original/{digest[:16]}.png"


@bp.patch("/api/v1/accounts/update_credentials")
def update_credentials() -> Response:
    """Change the caller's profile; only the parameters given change."""
    account = mastodon_api.viewer(required=True, needs=scopes.WRITE_ACCOUNTS)
    assert account is not None
    store = current_state().store
    profile = _updated(load(store, account.id), mastodon_api.form_data())
    save(store, account.id, profile)
    return jsonify(credential_account(account))


def _updated(profile: Profile, data: dict[str, Any]) -> Profile:
    display_name, note = profile.display_name, profile.note
    if "display_name" in data:
        display_name = _bounded(
            mastodon_api.string_field(data, "display_name"), "Display name", MAX_DISPLAY_NAME
        )
    if "note" in data:
        note = _bounded(mastodon_api.string_field(data, "note"), "Note", MAX_NOTE)
    images = {kind: _image(kind, getattr(profile, kind)) for kind in ("avatar", "header")}
    fields = _fields(data, profile.fields)
    return Profile(display_name, note, images["avatar"], images["header"], fields)


def _bounded(value: str, label: str, limit: int) -> str:
    if len(value) > limit:
        raise Invalid(f"Validation failed: {label} is too long (maximum is {limit} characters)")
    return value


def _image(kind: str, current: str) -> str:
    upload = request.files.get(kind)
    if upload is None:
        return current
    data = upload.read()
    if not data:
        raise Invalid(f"Validation failed: {kind.capitalize()} is invalid")
    return hashlib.sha256(data).hexdigest()


def _fields(
    data: dict[str, Any], current: tuple[tuple[str, str], ...]
) -> tuple[tuple[str, str], ...]:
    """``fields_attributes`` as a JSON array or object, or form keys ``fields_attributes[i][k]``."""
    raw: Any = data.get("fields_attributes")
    if raw is None:
        found: dict[str, dict[str, str]] = {}
        for key, value in request.form.items():
            if key.startswith("fields_attributes[") and key.count("[") == 2:
                index, _, name = key[len("fields_attributes[") :].partition("][")
                found.setdefault(index, {})[name.rstrip("]")] = value
        if not found:
            return current
        raw = [found[i] for i in sorted(found, key=lambda k: int(k) if k.isdigit() else 0)]
    if isinstance(raw, dict):
        raw = [raw[k] for k in sorted(raw)]
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise Invalid("Validation failed: fields_attributes is invalid")
    fields = tuple(
        (
            _bounded(str(f.get("name", "")), "Field name", MAX_FIELD),
            _bounded(str(f.get("value", "")), "Field value", MAX_FIELD),
        )
        for f in raw
        if str(f.get("name", "")).strip() or str(f.get("value", "")).strip()
    )
    if len(fields) > MAX_FIELDS:
        raise Invalid(f"Validation failed: Fields size is too big (maximum is {MAX_FIELDS})")
    return fields
