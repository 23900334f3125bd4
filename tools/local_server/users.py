"""The local identity provider's users: a YAML file of user names, password hashes and groups.

Passwords are stored as scrypt (or PBKDF2-SHA256) hashes from hashlib, never in clear. `sub` is derived from
the user name (uuid5) unless the file gives one, so a user keeps their sessions' keys between runs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path

import yaml

_SUB_NAMESPACE = uuid.UUID("0b8f3c1e-4f7a-4d55-9a0e-6a1c2b3d4e5f")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")
_GROUP = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


class UsersFileError(ValueError):
    """The users file is missing or malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class User:
    username: str
    password_hash: str
    groups: tuple[str, ...]
    sub: str
    email: str


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, salt: bytes | None = None) -> str:
    """`scrypt$N$r$p$<salt>$<hash>` (base64), the format the users file stores."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, encoded: str) -> bool:
    """Constant-time check against a scrypt or `pbkdf2_sha256$iterations$salt$hash` entry."""
    parts = encoded.split("$")
    try:
        if parts[0] == "scrypt" and len(parts) == 6:
            n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
            salt, expected = base64.b64decode(parts[4]), base64.b64decode(parts[5])
            actual = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=len(expected),
                                    maxmem=256 * 1024 * 1024)
        elif parts[0] == "pbkdf2_sha256" and len(parts) == 4:
            iterations, salt, expected = int(parts[1]), base64.b64decode(parts[2]), base64.b64decode(parts[3])
            actual = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations, len(expected))
        else:
            return False
    except (ValueError, OverflowError):
        return False
    return hmac.compare_digest(actual, expected)


def _user(entry: object, index: int, path: Path) -> User:
    where = f"{path}: users[{index}]"
    if not isinstance(entry, dict):
        raise UsersFileError(f"{where} must be a mapping with username, password_hash and groups")
    name, hashed, groups = entry.get("username"), entry.get("password_hash"), entry.get("groups") or []
    if not isinstance(name, str) or not _NAME.match(name):
        raise UsersFileError(f"{where}: username must be 1-128 letters, digits or ._@+-")
    if not isinstance(hashed, str) or hashed.split("$")[0] not in ("scrypt", "pbkdf2_sha256"):
        raise UsersFileError(f"{where} ({name}): password_hash must be a scrypt$ or pbkdf2_sha256$ hash "
                             "(python -m tools.local_server --hash-password prints one)")
    if not isinstance(groups, list) or not all(isinstance(g, str) and _GROUP.match(g) for g in groups):
        raise UsersFileError(f"{where} ({name}): groups must be a list of group names")
    sub = str(entry.get("sub") or uuid.uuid5(_SUB_NAMESPACE, name))
    email = str(entry.get("email") or f"{name}@example.invalid")
    return User(name, hashed, tuple(dict.fromkeys(groups)), sub, email)


def load_users(path: Path) -> dict[str, User]:
    """The users by name; UsersFileError for a missing file, bad YAML, a bad entry or a repeated name."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsersFileError(f"cannot read the users file {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise UsersFileError(f"the users file {path} is not valid YAML: {exc}") from None
    entries = document.get("users") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise UsersFileError(f"the users file {path} needs a non-empty `users:` list")
    users: dict[str, User] = {}
    for index, entry in enumerate(entries):
        user = _user(entry, index, path)
        if user.username in users:
            raise UsersFileError(f"{path}: user {user.username} appears twice")
        users[user.username] = user
    return users
