"""The short code printed beside a card's QR, for a tablet whose camera cannot scan it.

Ten characters of Crockford's base32 (50 bits) in two groups, "7KQ2M-9XP4H": no I, L, O or U,
so what an elderly delegate reads can be typed back, and what is typed is forgiving (lower
case, spaces, dashes, O for 0, I and L for 1). 50 bits cannot be guessed through the
rate-limited entry page; against a stolen database the digest is keyed (HMAC with a key the
database does not hold: the app's secret key), so the codes cannot be recovered offline.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 10
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    """A fresh code, grouped for reading: 5 + 5 characters."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalise(typed: str) -> str | None:
    """The code as stored, from what a person typed; None if it cannot be a code."""
    if len(typed) > 40:
        return None
    cleaned = "".join(ch for ch in typed.upper() if not ch.isspace() and ch not in "-._")
    cleaned = cleaned.translate(_READ_AS)
    if len(cleaned) != LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def digest(code: str, key: bytes) -> str:
    """What the database keeps of a (normalised) code."""
    return hmac.new(key, b"pickup-code:" + code.encode(), hashlib.sha256).hexdigest()


def key_from_secret(secret_key: str) -> bytes:
    """The key codes are hashed with, derived from the app's secret key (which the database
    does not hold)."""
    return hashlib.sha256(b"ecabinet pickup codes\0" + secret_key.encode()).digest()
