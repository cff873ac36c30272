"""Accounts: argon2 password hashes, users, API tokens, and the admin created on first run."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ROLES, ApiToken, User
from models.base import utcnow

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def create_user(session: Session, email: str, password: str, role: str, full_name: str = "",
                agency_id: int | None = None) -> User:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    email = email.strip().lower()
    if session.scalar(select(User).where(User.email == email)) is not None:
        raise ValueError(f"a user {email} already exists")
    user = User(email=email, full_name=full_name, password_hash=hash_password(password), role=role,
                agency_id=agency_id)
    session.add(user)
    session.flush()
    return user


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, name: str = "", *, read_only: bool = False) -> str:
    """A new personal API token; only its digest is stored, so the caller must show it now. A ``read_only`` one
    may only read, whatever the user's role allows."""
    token = "dt_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=_token_digest(token), name=name, read_only=read_only))
    return token


def token_holder(session: Session, token: str) -> tuple[User, ApiToken] | None:
    """The active user a live token belongs to, with the token's row (its scope); None when it is unknown,
    revoked or its user disabled."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_digest(token),
                                                ApiToken.revoked_at.is_(None)))
    if row is None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    row.last_used_at = utcnow()
    return user, row


def ensure_admin(session: Session, password: str | None) -> tuple[User, str | None]:
    """The first admin: created once with ``password`` or a generated one (returned so it can be printed once)."""
    admin = session.scalar(select(User).where(User.role == "admin").order_by(User.id))
    if admin is not None:
        return admin, None
    generated = None
    if not password:
        generated = password = secrets.token_urlsafe(12)
    admin = create_user(session, "admin@donthu.local", password, "admin", full_name="Quản trị viên")
    return admin, generated
