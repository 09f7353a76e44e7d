"""User administration from the command line: an administrator proves who they are for every change."""

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlmodel import col, select

from console.cli import run
from console.clinic import users
from console.domain.actors import Actor
from console.domain.errors import AuthenticationFailed, InvalidInput, NotAllowed
from console.store.database import Database, sqlite_url
from console.store.models import AuditEvent

ADMIN_PASSWORD = "admin password 1"


class Clinic:
    """`chairside --db FILE user ...` run with lines on stdin (its code, output and errors), and the
    clinic's database."""

    def __init__(
        self, path: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        self.path, self.monkeypatch, self.capsys = path, monkeypatch, capsys
        self.db = Database(sqlite_url(Path(path)))

    def __call__(self, *argv: str, stdin: str = "") -> tuple[int, str, str]:
        self.monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = run(None, ["--db", self.path, "user", *argv, "--password-stdin"])
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def clinic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Clinic:
    """A new clinic file and a way to run `chairside --db FILE user ...` with lines on stdin."""
    path = str(tmp_path / "clinic.sqlite3")
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{ADMIN_PASSWORD}\n"))
    assert (
        run(None, ["--db", path, "init", "--admin", "boss", "--name", "Office Admin", "--password-stdin"])
        == 0
    )
    assert "its administrator is boss" in capsys.readouterr().out
    return Clinic(path, monkeypatch, capsys)


def _add_amy(clinic: Clinic, name: str = "A") -> None:
    code, _, err = clinic(
        "add",
        "amy",
        "--name",
        name,
        "--role",
        "nurse",
        "--admin",
        "boss",
        stdin=f"{ADMIN_PASSWORD}\na long password\n",
    )
    assert code == 0, err


def _last_event(db: Database) -> AuditEvent:
    with db.read() as session:
        event = session.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc())).first()
    assert event is not None
    return event


def test_users_are_added_by_an_administrator_who_proves_who_they_are(clinic: Clinic) -> None:
    code, _, err = clinic("add", "amy", "--name", "Amy Ng, RN", "--role", "nurse", stdin="a long password\n")
    assert code == 1 and "--admin" in err
    code, out, _ = clinic(
        "add",
        "amy",
        "--name",
        "Amy Ng, RN",
        "--role",
        "nurse",
        "--admin",
        "boss",
        stdin=f"{ADMIN_PASSWORD}\na long password\n",
    )
    assert code == 0 and "Created nurse amy" in out
    event = _last_event(clinic.db)
    assert (event.action, event.actor) == ("user.create", "boss")


def test_users_are_added_only_to_a_clinic_that_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a long password\n"))
    path = str(tmp_path / "new.sqlite3")
    assert (
        run(None, ["--db", path, "user", "add", "amy", "--name", "A", "--role", "nurse", "--password-stdin"])
        == 1
    )
    assert "there is no clinic at" in capsys.readouterr().err and not (tmp_path / "new.sqlite3").exists()


def test_a_wrong_admin_password_or_a_non_admin_changes_nothing(clinic: Clinic) -> None:
    _add_amy(clinic)
    code, _, err = clinic("role", "amy", "physician", "--admin", "boss", stdin="wrong password\n")
    assert code == 1 and "Wrong username or password" in err
    code, _, err = clinic("role", "amy", "admin", "--admin", "amy", stdin="a long password\n")
    assert code == 1 and "only an administrator" in err
    amy = users.find_user(clinic.db, "amy")
    assert amy is not None
    assert amy.role == "nurse"


def test_a_rejected_password_is_never_repeated(clinic: Clinic) -> None:
    code, _, err = clinic(
        "add",
        "amy",
        "--name",
        "A",
        "--role",
        "nurse",
        "--admin",
        "boss",
        stdin=f"{ADMIN_PASSWORD}\nhunter2\n",
    )
    assert code == 1 and "hunter2" not in err and "Password: 10 to 128 characters (got 7 characters)" in err


def test_list_disable_enable_role_and_reset_are_audited_with_admin_and_os_user(clinic: Clinic) -> None:
    _add_amy(clinic, "Amy Ng, RN")
    code, out, _ = clinic("list", "--admin", "boss", stdin=f"{ADMIN_PASSWORD}\n")
    assert code == 0 and "amy" in out and "nurse" in out and "boss" in out

    assert clinic("disable", "amy", "--admin", "boss", stdin=f"{ADMIN_PASSWORD}\n")[0] == 0
    with pytest.raises(AuthenticationFailed, match="inactive"):
        users.authenticate(clinic.db, "amy", "a long password")
    assert clinic("enable", "amy", "--admin", "boss", stdin=f"{ADMIN_PASSWORD}\n")[0] == 0

    assert clinic("role", "amy", "physician", "--admin", "boss", stdin=f"{ADMIN_PASSWORD}\n")[0] == 0
    event = _last_event(clinic.db)
    assert (event.action, event.actor) == ("user.role", "boss")
    assert event.after_json is not None
    assert json.loads(event.after_json)["role"] == "physician" and json.loads(event.after_json)["_os_user"]

    code, out, _ = clinic(
        "reset-password", "amy", "--admin", "boss", stdin=f"{ADMIN_PASSWORD}\ntemporary pw 1\n"
    )
    assert code == 0 and "next sign-in" in out
    assert users.authenticate(clinic.db, "amy", "temporary pw 1").username == "amy"
    assert users.password_change_due(clinic.db, "amy")
    code, out, _ = clinic("list", "--admin", "boss", stdin=f"{ADMIN_PASSWORD}\n")
    assert "password change due" in out


def test_a_user_changes_a_reset_password_and_the_change_is_audited(clinic: Clinic) -> None:
    _add_amy(clinic)
    clinic("reset-password", "amy", "--admin", "boss", stdin=f"{ADMIN_PASSWORD}\ntemporary pw 1\n")
    amy = users.authenticate(clinic.db, "amy", "temporary pw 1")
    with pytest.raises(InvalidInput, match="different"):
        users.change_password(clinic.db, amy, "temporary pw 1", "temporary pw 1")
    with pytest.raises(AuthenticationFailed):
        users.change_password(clinic.db, amy, "not the current", "my own password")
    users.change_password(clinic.db, amy, "temporary pw 1", "my own password")
    assert not users.password_change_due(clinic.db, "amy")
    assert users.authenticate(clinic.db, "amy", "my own password").username == "amy"


def test_an_administrator_keeps_their_own_access(clinic: Clinic) -> None:
    admin = users.prove_admin(clinic.db, "boss", ADMIN_PASSWORD)
    with pytest.raises(NotAllowed):
        users.set_active(clinic.db, admin, "boss", False)
    with pytest.raises(NotAllowed):
        users.set_role(clinic.db, admin, "boss", "nurse")


def test_user_changes_made_through_the_service_verify_and_one_behind_its_back_does_not(
    clinic: Clinic, tmp_path: Path
) -> None:
    from sqlalchemy import text

    from console.review.integrity import verify_record

    _add_amy(clinic)
    clinic("role", "amy", "physician", "--admin", "boss", stdin=f"{ADMIN_PASSWORD}\n")
    clinic("disable", "amy", "--admin", "boss", stdin=f"{ADMIN_PASSWORD}\n")
    clinic("reset-password", "amy", "--admin", "boss", stdin=f"{ADMIN_PASSWORD}\ntemporary pw 1\n")
    assert verify_record(clinic.db).problems() == []
    with clinic.db.engine.begin() as connection:
        connection.execute(text("UPDATE user_account SET active = 1 WHERE username = 'amy'"))
    assert any("user_account 2: active is True" in line for line in verify_record(clinic.db).problems())


@pytest.mark.parametrize(
    "change",
    [
        lambda db, nurse: users.unlock_user(db, nurse, "boss"),
        lambda db, nurse: users.set_active(db, nurse, "boss", False),
        lambda db, nurse: users.set_role(db, nurse, "amy", "admin"),
        lambda db, nurse: users.reset_password(db, nurse, "boss", "a new password"),
        lambda db, nurse: users.list_users(db, nurse),
    ],
    ids=["unlock", "disable", "role", "reset-password", "list"],
)
def test_every_user_change_is_refused_to_anyone_but_an_administrator(
    clinic: Clinic, change: Callable[[Database, Actor], object]
) -> None:
    _add_amy(clinic)
    nurse = users.authenticate(clinic.db, "amy", "a long password")
    with pytest.raises(NotAllowed, match="only an administrator"):
        change(clinic.db, nurse)
    amy, boss = users.find_user(clinic.db, "amy"), users.find_user(clinic.db, "boss")
    assert amy is not None and boss is not None
    assert amy.role == "nurse" and boss.active
