"""User accounts: creation by an administrator, argon2id passwords, sign-in with lockout."""

from functools import cache

from sqlmodel import select

from console import audit
from console.actors import Actor, require_user_admin
from console.database import Database
from console.errors import AuthenticationFailed, InvalidInput
from console.inputs import UserIn, parse
from console.models import UserAccount
from console.records import insert
from console.vocab import Role

MAX_FAILED_ATTEMPTS = 5


@cache
def _hasher():
    from argon2 import PasswordHasher  # argon2id by default

    return PasswordHasher()


def hash_secret(secret: str) -> str:
    return _hasher().hash(secret)


def _matches(stored_hash: str, secret: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(stored_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _decoy_hash() -> str:
    return hash_secret("decoy password for unknown users")


def create_user(db: Database, actor: Actor, data: dict) -> UserAccount:
    """Create a user from raw values; refuses a taken username."""
    require_user_admin(actor)
    user_in = parse(UserIn, data)
    password_hash = hash_secret(user_in.password)
    with db.write() as session:
        if session.exec(select(UserAccount.id).where(UserAccount.username == user_in.username)).first():
            raise InvalidInput("username", f"Username: {user_in.username!r} is already taken.")
        row = UserAccount(
            username=user_in.username,
            display_name=user_in.display_name,
            role=user_in.role,
            password_hash=password_hash,
            created_at=db.clock.now(),
        )
        return insert(session, row, actor=actor, action="user.create", at=db.clock.now())


def authenticate(db: Database, username: str, password: str) -> Actor:
    """Sign a user in; every failure is counted and audited, and too many lock the account."""
    username = username.strip().lower()
    with db.write() as session:
        user = session.exec(select(UserAccount).where(UserAccount.username == username)).first()
        if user is None:
            _matches(_decoy_hash(), password)  # same cost as a real check: no hint that the name is unknown
            failure = "unknown user"
        elif not user.active:
            failure = "inactive account"
        elif user.failed_attempts >= MAX_FAILED_ATTEMPTS:
            failure = "locked account"
        elif not _matches(user.password_hash, password):
            user.failed_attempts += 1
            session.add(user)
            failure = "wrong password"
        else:
            failure = ""
            if user.failed_attempts:
                user.failed_attempts = 0
                session.add(user)
        audit.record(
            session,
            at=db.clock.now(),
            actor=username[:32] or "?",
            action="login.failed" if failure else "login",
            entity="user_account",
            entity_id=user.id if user else "-",
            after={"reason": failure} if failure else None,
        )
    # The transaction above has committed, so the failure stays counted and audited.
    if failure == "locked account" or (user is not None and user.failed_attempts >= MAX_FAILED_ATTEMPTS):
        raise AuthenticationFailed(
            f"This account is locked after {MAX_FAILED_ATTEMPTS} failed sign-ins: "
            "an administrator must unlock it."
        )
    if failure == "inactive account":
        raise AuthenticationFailed("This account is inactive: ask an administrator.")
    if failure:
        raise AuthenticationFailed("Wrong username or password.")
    return Actor(
        username=user.username, role=Role(user.role), user_id=user.id, display_name=user.display_name
    )


def unlock_user(db: Database, actor: Actor, username: str) -> None:
    """Reset the failed-attempt counter (administrators only)."""
    require_user_admin(actor)
    with db.write() as session:
        user = session.exec(select(UserAccount).where(UserAccount.username == username)).first()
        if user is None:
            raise InvalidInput("username", f"Username: no user is called {username!r}.")
        before = user.failed_attempts
        user.failed_attempts = 0
        session.add(user)
        audit.record(
            session,
            at=db.clock.now(),
            actor=actor.username,
            action="user.unlock",
            entity="user_account",
            entity_id=user.id,
            before={"failed_attempts": before},
            after={"failed_attempts": 0},
        )


def find_user(db: Database, username: str) -> UserAccount | None:
    with db.read() as session:
        return session.exec(select(UserAccount).where(UserAccount.username == username)).first()
