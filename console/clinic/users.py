"""User accounts: creation by an administrator, argon2id passwords, sign-in with lockout."""

from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlmodel import col, select

from console.domain.actors import Actor, require_user_admin
from console.domain.errors import AuthenticationFailed, InvalidInput, NotAllowed
from console.domain.inputs import PasswordIn, PinIn, UserIn, parse
from console.domain.vocab import Role
from console.store import audit
from console.store.database import Database
from console.store.models import UserAccount, table_of
from console.store.rows import get_or_refuse, insert

if TYPE_CHECKING:  # argon2 loads at the first password checked, not with the console
    from argon2 import PasswordHasher

MAX_FAILED_ATTEMPTS = 5
# The audit actor of a failed sign-in under a name no account has: what was typed may be a password.
UNKNOWN_USER = "unknown user"


@cache
def _hasher() -> "PasswordHasher":
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


def create_user(db: Database, actor: Actor, data: UserIn | Mapping[str, object]) -> UserAccount:
    """Create a user from raw values; refuses a taken username.

    The command line passes the administrator it proved (see `prove_admin`); a new clinic's first
    administrator is created by the system actor.
    """
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
    return verify_secret(db, username, password, kind="password", action="login")


def verify_secret(db: Database, username: str, secret: str, *, kind: str, action: str) -> Actor:
    """Check a user's password or signing PIN (`kind`), with the shared failed-attempt counter.

    Sign-in and e-signatures share the counter, so five wrong secrets of any kind lock the account.
    Nothing typed is no attempt: it is refused before any check and never counted.

    An attempt is counted *before* its secret is checked, by one conditional UPDATE, and given back
    only when the secret is right: parallel guesses on any backend can never check more than
    MAX_FAILED_ATTEMPTS secrets before the account locks.
    """
    if not secret:
        what = "signing PIN" if kind == "pin" else "password"
        raise AuthenticationFailed(f"Type your {what}: nothing was typed, so nothing was checked.")
    username = username.strip().lower()
    user = find_user(db, username)
    stored = None if user is None else (user.password_hash if kind == "password" else user.signing_pin_hash)
    attempts = 0
    if user is None:
        _matches(_decoy_hash(), secret)  # same cost as a real check: no hint that the name is unknown
        failure = "unknown user"
    elif not user.active:
        failure = "inactive account"
    elif stored is None:
        failure = "no signing PIN"
    else:
        attempts = _take_attempt(db, user.id)
        if not attempts:
            failure = "locked account"
        elif _matches(stored, secret):
            failure = ""
        else:
            failure = f"wrong {kind}"
    with db.write() as session:
        if user is not None and not failure:
            accounts = table_of(UserAccount)
            session.execute(update(accounts).where(accounts.c.id == user.id).values(failed_attempts=0))
        audit.record(
            session,
            at=db.clock.now(),
            # What was typed as a name may be a password typed in the wrong field: never stored.
            actor=user.username if user else UNKNOWN_USER,
            action=f"{action}.failed" if failure else action,
            entity="user_account",
            entity_id=user.id if user else "-",
            after=None if not failure else {"reason": failure} | ({"attempt": attempts} if attempts else {}),
        )
    # The transaction above has committed, so the failure stays counted and audited.
    if failure == "locked account" or (failure and attempts >= MAX_FAILED_ATTEMPTS):
        raise AuthenticationFailed(
            f"This account is locked after {MAX_FAILED_ATTEMPTS} failed attempts: "
            "an administrator must unlock it."
        )
    if failure == "inactive account":
        raise AuthenticationFailed("This account is inactive: ask an administrator.")
    if failure == "no signing PIN":
        raise AuthenticationFailed("No signing PIN is set: sign with your password, then set a PIN.")
    if failure == "wrong pin":
        left = MAX_FAILED_ATTEMPTS - attempts
        raise AuthenticationFailed(f"Wrong signing PIN ({left} attempts left before the account locks).")
    if user is None and no_users(db):
        raise AuthenticationFailed(
            "This clinic has no users yet: create its first administrator with "
            "`chairside user add NAME --name ... --role admin`."
        )
    if failure or user is None:
        raise AuthenticationFailed("Wrong username or password.")
    return Actor(
        username=user.username, role=Role(user.role), user_id=user.id, display_name=user.display_name
    )


def _take_attempt(db: Database, user_id: int) -> int:
    """Count one attempt unless the account is locked: the attempt's number, or 0 when locked."""
    accounts = table_of(UserAccount)
    with db.write() as session:
        taken = session.execute(
            update(accounts)
            .where(
                accounts.c.id == user_id,
                accounts.c.active.is_(True),
                accounts.c.failed_attempts < MAX_FAILED_ATTEMPTS,
            )
            .values(failed_attempts=accounts.c.failed_attempts + 1)
            .returning(accounts.c.failed_attempts)
        ).scalar_one_or_none()
    return taken or 0


def verify_at_chair(db: Database, username: str, secret: str, action: str) -> Actor:
    """Someone at another user's console proves who they are: their signing PIN when they have one
    and typed digits, else their password; counted towards the lockout and audited as `action`."""
    username = username.strip().lower()  # as sign-in takes it: "Marcus " is marcus, PIN and all
    user = find_user(db, username)
    kind = "pin" if user is not None and user.signing_pin_hash and secret.isdigit() else "password"
    return verify_secret(db, username, secret, kind=kind, action=action)


def verify_witness(db: Database, username: str, secret: str) -> Actor:
    """A witness at the chair proves who they are (see `verify_at_chair`)."""
    return verify_at_chair(db, username, secret, action="witness")


def set_signing_pin(db: Database, actor: Actor, password: str, pin: str) -> None:
    """A user sets their own signing PIN, proving who they are with their password."""
    if actor.user_id is None:
        raise AuthenticationFailed("Only a signed-in user can set a signing PIN.")
    pin_in = parse(PinIn, {"pin": pin})
    verify_secret(db, actor.username, password, kind="password", action="pin.authorise")
    pin_hash = hash_secret(pin_in.pin)
    with db.write() as session:
        user = get_or_refuse(session, UserAccount, actor.user_id, "User")
        before = _credential(user)
        user.signing_pin_hash = pin_hash
        session.add(user)
        audit.record(
            session,
            at=db.clock.now(),
            actor=actor.username,
            action="user.set_pin",
            entity="user_account",
            entity_id=user.id,
            before=before,
            after=_credential(user),  # never the PIN or its hash: their fingerprint
        )


def _credential(user: UserAccount) -> dict[str, str]:
    return {audit.CREDENTIAL: audit.credential_fingerprint(user.password_hash, user.signing_pin_hash)}


def prove_admin(db: Database, username: str, password: str) -> Actor:
    """An administrator proves who they are (username and password) before managing users."""
    actor = verify_secret(db, username, password, kind="password", action="admin.authorise")
    if actor.role is not Role.ADMIN:
        raise NotAllowed(f"{actor.username} cannot manage users: only an administrator can")
    return actor


def first_admin_needed(db: Database) -> bool:
    """A new clinic has no administrator yet: its first one is created without credentials."""
    with db.read() as session:
        admin = session.exec(
            select(UserAccount.id).where(UserAccount.role == Role.ADMIN, col(UserAccount.active).is_(True))
        ).first()
    return admin is None


def list_users(db: Database, actor: Actor) -> list[UserAccount]:
    require_user_admin(actor)
    with db.read() as session:
        return list(session.exec(select(UserAccount).order_by(col(UserAccount.username))))


def unlock_user(db: Database, actor: Actor, username: str, os_user: str = "") -> None:
    """Reset the failed-attempt counter (administrators only)."""
    require_user_admin(actor)
    _change_user(db, actor, username, {"failed_attempts": 0}, "user.unlock", os_user)


def set_active(db: Database, actor: Actor, username: str, active: bool, os_user: str = "") -> None:
    """Disable an account (it can no longer sign in; its records keep its name) or enable it again."""
    require_user_admin(actor)
    if not active and username == actor.username:
        raise NotAllowed("an administrator cannot disable their own account")
    _change_user(
        db, actor, username, {"active": active}, "user.enable" if active else "user.disable", os_user
    )


def set_role(db: Database, actor: Actor, username: str, role: str, os_user: str = "") -> None:
    require_user_admin(actor)
    try:
        new_role = Role(role)
    except ValueError:
        accepted = ", ".join(r.value for r in Role)
        raise InvalidInput("role", f"Role: one of {accepted} (got {role!r}).") from None
    if username == actor.username and new_role is not Role.ADMIN:
        raise NotAllowed("an administrator cannot take away their own administrator role")
    _change_user(db, actor, username, {"role": new_role}, "user.role", os_user)


def reset_password(db: Database, actor: Actor, username: str, password: str, os_user: str = "") -> None:
    """A temporary password the user must change at the next sign-in; the lockout is lifted."""
    require_user_admin(actor)
    new_hash = hash_secret(parse(PasswordIn, {"password": password}).password)
    values = {"must_change_password": True, "failed_attempts": 0}
    _change_user(db, actor, username, values, "user.reset_password", os_user, new_hash)


def change_password(db: Database, actor: Actor, current: str, new: str) -> None:
    """Users choose their own password, proving who they are with the current one."""
    new_password = parse(PasswordIn, {"password": new}).password
    if new_password == current:
        raise InvalidInput("password", "New password: choose one different from the current password.")
    verify_secret(db, actor.username, current, kind="password", action="password.authorise")
    _change_user(
        db,
        actor,
        actor.username,
        {"must_change_password": False},
        "user.password",
        "",
        hash_secret(new_password),
    )


def password_change_due(db: Database, username: str) -> bool:
    user = find_user(db, username)
    return user is not None and user.must_change_password


def _change_user(
    db: Database,
    actor: Actor,
    username: str,
    values: dict,
    action: str,
    os_user: str,
    password_hash: str | None = None,
) -> None:
    """Change a user's account and audit what changed, by whom, from which OS account."""
    with db.write() as session:
        user = session.exec(
            select(UserAccount).where(UserAccount.username == username.strip().lower())
        ).first()
        if user is None:
            raise InvalidInput("username", f"Username: no user is called {username!r}.")
        before = {key: audit.plain(getattr(user, key)) for key in values}
        after = {key: audit.plain(value) for key, value in values.items()}
        if password_hash is not None:
            before |= _credential(user)
            user.password_hash = password_hash
            after |= _credential(user)
        for key, value in values.items():
            setattr(user, key, value)
        session.add(user)
        audit.record(
            session,
            at=db.clock.now(),
            actor=actor.username[:32],
            action=action,
            entity="user_account",
            entity_id=user.id,
            before=before | ({"_os_user": os_user} if os_user else {}),
            after=after | ({"_os_user": os_user} if os_user else {}),
        )


def no_users(db: Database) -> bool:
    with db.read() as session:
        return session.exec(select(UserAccount.id).limit(1)).first() is None


def find_user(db: Database, username: str) -> UserAccount | None:
    with db.read() as session:
        return session.exec(select(UserAccount).where(UserAccount.username == username)).first()
