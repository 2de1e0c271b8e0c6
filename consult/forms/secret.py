"""The handler's secret: it signs time tokens and keys every fingerprint (`guard.Guard`).

Production entry points (`consult handler`, `consult.forms.wsgi:app`, the Lambda handler)
take it from CONSULT_SECRET and refuse to start without one of at least 32 characters,
the same on every replica. CONSULT_SECRET_PREVIOUS keeps the old one accepted during a
rotation. Only `consult serve`, on one machine, may make one up in `.consult/secret`.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from consult.errors import ConsultError
from consult.layout import STATE_DIR

SECRET_ENV = "CONSULT_SECRET"
PREVIOUS_ENV = "CONSULT_SECRET_PREVIOUS"
PULL_TOKEN_ENV = "CONSULT_PULL_TOKEN"
MIN_LENGTH = 32
HOW = "e.g. python -c 'import secrets; print(secrets.token_hex(32))'"


@dataclass(frozen=True)
class Secrets:
    current: bytes
    previous: bytes = b""  # the secret before a rotation: its tokens and fingerprints still count


def secrets_from_env(environ: Mapping[str, str] | None = None) -> Secrets:
    """CONSULT_SECRET (required) and CONSULT_SECRET_PREVIOUS (optional), each of 32 characters or more."""
    environ = os.environ if environ is None else environ
    current = environ.get(SECRET_ENV, "")
    if not current:
        raise ConsultError(f"{SECRET_ENV} is not set: the form handler needs a secret of at least {MIN_LENGTH} "
                           f"characters, the same on every replica ({HOW})")
    return Secrets(_checked(SECRET_ENV, current), _checked(PREVIOUS_ENV, environ.get(PREVIOUS_ENV, "")))


def pull_token_from_env(environ: Mapping[str, str] | None = None) -> bytes:
    """CONSULT_PULL_TOKEN (b'' when unset: the handler offers no export), 32 characters or more:
    whoever holds it reads every pending submission's text."""
    environ = os.environ if environ is None else environ
    return _checked(PULL_TOKEN_ENV, environ.get(PULL_TOKEN_ENV, ""))


def _checked(name: str, value: str) -> bytes:
    if value and len(value) < MIN_LENGTH:
        raise ConsultError(f"{name} is {len(value)} characters long: it must be at least {MIN_LENGTH} ({HOW})")
    return value.encode("utf-8")


def load_secret(root: Path) -> Secrets:
    """For `consult serve` only: the environment's secrets if CONSULT_SECRET is set, else
    `.consult/secret` under `root`, made once (mode 0600) for this machine."""
    if os.environ.get(SECRET_ENV):
        return secrets_from_env()
    path = root / STATE_DIR / "secret"
    try:
        return Secrets(path.read_bytes().strip())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return Secrets(path.read_bytes().strip())
    with os.fdopen(fd, "wb") as handle:
        handle.write(secrets.token_hex(32).encode("ascii"))
        handle.flush()
        os.fsync(handle.fileno())
    return Secrets(path.read_bytes().strip())
