"""Creating or upgrading an installation: keys, schema, the audit chain's head."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from postgate import audit, audit_checkpoint
from postgate.runtime import Runtime
from postgate.store import migrate
from postgate.vault import ensure_keys, write_private

WEB_KEY_FILE = "web.key"


@dataclass(frozen=True)
class InitResult:
    created_keys: bool
    created_audit_key: bool
    audit_problem: str = ""  # why no checkpoint could be written ("" when all is well)


def ensure_web_secret(rt: Runtime) -> str:
    """The key that signs web sessions and CSRF tokens; generated, never a default."""
    if rt.settings.web_secret:
        return rt.settings.web_secret
    path = rt.settings.keys_path / WEB_KEY_FILE
    if not path.exists():
        write_private(path, secrets.token_hex(32) + "\n")
    return path.read_text().strip()


def load_web_secret(rt: Runtime) -> str | None:
    if rt.settings.web_secret:
        return rt.settings.web_secret
    path = rt.settings.keys_path / WEB_KEY_FILE
    return path.read_text().strip() if path.exists() else None


def init_store(rt: Runtime) -> InitResult:
    """Create what is missing and upgrade the schema; running it again changes nothing."""
    rt.settings.instance_path.mkdir(parents=True, exist_ok=True, mode=0o700)
    created_keys = ensure_keys(rt.settings)
    created_audit = audit.ensure_audit_key(rt.settings)
    ensure_web_secret(rt)
    migrate.upgrade(rt.store)
    with rt.store.transaction() as db:
        audit.ensure_head(db, rt.audit_key)
    audit_checkpoint.adopt_unsigned_head(rt)
    checkpoint = audit_checkpoint.write_checkpoint(rt, "init")
    return InitResult(created_keys, created_audit, checkpoint.problem)
