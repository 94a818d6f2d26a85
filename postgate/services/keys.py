"""Key rotation: a new key goes first, then every stored secret is re-encrypted with it."""

from __future__ import annotations

from sqlalchemy import select

from postgate.audit import Event
from postgate.runtime import Runtime
from postgate.store.models import Account, NotifyChannel, NotifyPreference, OAuthFlow, User
from postgate.vault import Vault, add_new_key, load_keys


def reencrypt_all(rt: Runtime, vault: Vault, *, actor: str = "cli") -> int:
    """Re-encrypt every secret under the vault's newest key, in one transaction."""
    count = 0
    with rt.store.transaction() as db:
        for user in db.scalars(select(User).where(User.totp_secret_enc.is_not(None))):
            user.totp_secret_enc = vault.rotate(user.totp_secret_enc or "")
            count += 1
        for account in db.scalars(select(Account).where(Account.credentials_enc.is_not(None))):
            account.credentials_enc = vault.rotate(account.credentials_enc or "")
            count += 1
        for flow in db.scalars(select(OAuthFlow)):  # consents under way
            flow.secrets_enc = vault.rotate(flow.secrets_enc)
            count += 1
        for channel in db.scalars(select(NotifyChannel)):
            channel.url_enc = vault.rotate(channel.url_enc)
            count += 1
        for pref in db.scalars(
            select(NotifyPreference).where(NotifyPreference.email_enc.is_not(None))
        ):
            pref.email_enc = vault.rotate(pref.email_enc or "")
            count += 1
        rt.audit(
            db,
            Event.KEYS_ROTATE,
            actor=actor,
            target="keys",
            details={"secrets": count, "keys": len(load_keys(rt.settings))},
        )
    return count


def rotate(rt: Runtime, *, new_key: bool = True, actor: str = "cli") -> int:
    """Add a key (unless the keys come from the environment) and re-encrypt; returns the count.

    Old keys stay in the file, so processes still running with the old list keep decrypting
    what is re-encrypted under the new key only once they reload; remove old keys later.
    """
    keys = add_new_key(rt.settings) if new_key else load_keys(rt.settings)
    vault = Vault(keys)
    return reencrypt_all(rt, vault, actor=actor)
