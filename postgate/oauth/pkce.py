"""Proof Key for Code Exchange (RFC 7636), S256 only.

The verifier is 43 to 128 characters of ``[A-Za-z0-9-._~]`` (section 4.1): 64 random bytes
in base64url without padding give 86. The challenge is ``BASE64URL(SHA256(verifier))``
(section 4.2). ``plain`` is never offered: a challenge equal to the verifier protects
nothing once the authorization request is seen.
"""

from __future__ import annotations

import base64
import hashlib
import secrets


def make_verifier() -> str:
    """A fresh high-entropy verifier (RFC 7636 section 4.1)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(64)).rstrip(b"=").decode()


def s256_challenge(verifier: str) -> str:
    """The S256 challenge of ``verifier`` (RFC 7636 section 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
