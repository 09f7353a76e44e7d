"""The `chairside` command line.

Opening the console is app.py's `open_console`, registered by the installation under the entry point
group `chairside.console` and loaded only when the console opens: every other command (`--version`,
`export`, `audit verify`...) runs without importing Textual. Built on click, which parses without
building validation models: the sign-in screen is not kept waiting for the options to be read.
"""

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import click

from console.domain.errors import ChairsideError, ConfigurationError

if TYPE_CHECKING:  # each command loads what it needs: `--version` loads none of them
    from console.clinic.settings import Settings
    from console.demo.builder import DemoSummary
    from console.domain.actors import Actor
    from console.domain.protocol import Protocol
    from console.store.database import Database

OpenConsole = Callable[["Context"], None]
CONSOLE_GROUP = "chairside.console"  # where the installation names the function that opens the console
DAY = click.DateTime(formats=["%Y-%m-%d"])
DEMO_YEARS = 0.5  # the history of the demo `--demo` opens


def _file() -> click.Path:
    return click.Path(dir_okay=False, path_type=Path)


class ExportFormat(StrEnum):
    CSV = "csv"
    FHIR = "fhir"
    XLSX = "xlsx"


@dataclass
class Context:
    """What every command needs: settings and where the database is."""

    db_path: Path | None
    config: Path | None
    demo: bool
    open_console: OpenConsole | None
    protocol: Path | None = None

    def settings(self) -> "Settings":
        from console.clinic.settings import load_settings

        return load_settings(self.config)

    def trial_protocol(self) -> "Protocol | None":
        """The protocol file given to try (`--protocol`, CHAIRSIDE_PROTOCOL), checked, or None."""
        from console.clinic.settings import trial_protocol

        return trial_protocol(self.protocol)

    def clinic_settings(self, db: "Database") -> "Settings":
        """The settings with the protocol this workstation applies: the clinic's, from its database."""
        from console.clinic.clinic_protocol import protocol_in_force

        protocol, tried = protocol_in_force(db, self.trial_protocol())
        return self.settings().with_protocol(protocol, tried)

    def url(self) -> str:
        from console.clinic.locations import database_url

        return database_url(self.settings(), self.db_path, self.demo)

    def database(self, *, writing: bool = True, upgrading: bool = False) -> "Database":
        """The clinic's database, which must exist, at this code's schema, with its clinic key.

        A SQLite clinic is migrated as it opens; a shared server database only by `upgrading`
        (`db upgrade`). Not `writing` (checking only): the key is read and checked, never made.
        """
        from console.clinic.locations import HOW_TO_CREATE, require_existing
        from console.store.audit_key import attach_key, check_key
        from console.store.database import Database
        from console.store.schema import current_revision, ensure_schema

        url = self.url()
        require_existing(url)
        db = Database(url)
        if current_revision(db) is None:
            db.dispose()
            raise ConfigurationError(f"this database holds no clinic: {HOW_TO_CREATE}")
        ensure_schema(db, migrate=upgrading or db.backend == "sqlite")
        key_file = self.settings().key_file
        if not writing:
            db.audit_key = check_key(db, key_file)
        elif attach_key(db, key_file):
            _key_made(key_file)
        return db


def _key_made(key_file: Path) -> None:
    click.echo(
        f"chairside: made the clinic's audit key {key_file} (readable by you only): keep a copy in a "
        "safe place, and give each workstation of the clinic a copy",
        err=True,
    )


def _version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        from importlib.metadata import version

        click.echo(f"chairside {version('chairside')}")
        ctx.exit()


@click.group(name="chairside", invoke_without_command=True)
@click.option("--db", type=_file(), help="SQLite database file to use.")
@click.option("--config", type=_file(), help="Settings file (TOML).")
@click.option("--demo", is_flag=True, help="Open the demo clinic (built on first use).")
@click.option(
    "--protocol", type=_file(), help="A protocol file to try on the demo clinic (or CHAIRSIDE_PROTOCOL)."
)
@click.option(
    "--version", is_flag=True, callback=_version, is_eager=True, expose_value=False, help="Show the version."
)
@click.pass_context
def cli(ctx: click.Context, db: Path | None, config: Path | None, demo: bool, protocol: Path | None) -> None:
    """Chairside: the infusion-chair console of a ketamine clinic.

    Without a command, open the console; or run one of the commands below.
    """
    state = Context(db, config, demo, ctx.obj, protocol)
    ctx.obj = state
    if ctx.invoked_subcommand is not None:
        return
    if demo:
        _ensure_demo(state)
    open_console = state.open_console or installed_console()
    if open_console is None:
        raise ConfigurationError("the console is not available in this installation")
    open_console(state)


@cli.command("init")
@click.option("--admin", default="admin", show_default=True, help="Username of the first administrator.")
@click.option("--name", help="Printed name of the first administrator (asked when omitted).")
@click.option("--password-stdin", is_flag=True, help="Read the administrator's password from stdin.")
@click.pass_obj
def init_command(state: "Context", admin: str, name: str | None, password_stdin: bool) -> None:
    """Create a new clinic (--db PATH, or the configured database) and its first administrator."""
    from console.clinic.setup import create_clinic

    url = state.url()
    protocol = state.trial_protocol()  # `--protocol FILE init`: the clinic starts with its own protocol
    name = name or click.prompt("Printed name of the administrator", default="Office Administrator")
    password = _secret(f"Password for {admin}", password_stdin, twice=True)
    key_file = state.settings().key_file
    clinic = create_clinic(
        url, key_file, {"username": admin, "display_name": name, "password": password}, _os_user(), protocol
    )
    if clinic.key_made:
        _key_made(key_file)
    click.echo(
        f"Created the clinic in {clinic.where}, with protocol {clinic.protocol}; its administrator is "
        f"{clinic.admin}. Next, add the staff: "
        f"chairside user add USERNAME --name NAME --role nurse --admin {clinic.admin}"
    )


@cli.group("config")
def config_cli() -> None:
    """The settings."""


@config_cli.command("show")
@click.pass_obj
def config_show(state: "Context") -> None:
    """Print the effective settings and where each came from (default, a file, the environment)."""
    from console.clinic.settings import effective_settings

    for key, value, origin in effective_settings(state.config):
        shown = "(not set)" if value is None else value
        click.echo(f"{key} = {shown!s:<40} # {origin}")


@cli.group("user")
def user_cli() -> None:
    """Manage user accounts."""


@cli.group("db")
def db_cli() -> None:
    """Database schema."""


@cli.group("audit")
def audit_cli() -> None:
    """The audit trail."""


@cli.group("schedule")
def schedule_cli() -> None:
    """Appointments."""


@cli.group("protocol")
def protocol_cli() -> None:
    """The clinic protocol."""


def installed_console() -> OpenConsole | None:
    """The installation's console (app.py), imported now that a screen is to be shown."""
    from importlib.metadata import entry_points

    registered = entry_points(group=CONSOLE_GROUP, name="open")
    return next(iter(registered)).load() if registered else None


def _ensure_demo(state: Context) -> None:
    """The demo clinic is built the first time `--demo` opens it, and again on a later day, so that
    its board is always today's (what was tried in it is not kept)."""
    from console.clinic.demo_mark import built_for
    from console.clinic.locations import sqlite_file
    from console.store.database import Database

    url = state.url()
    path = sqlite_file(url)
    if path is None:
        return
    if path.exists() and path.stat().st_size > 0:
        db = Database(url)
        try:
            with db.read() as session:
                day = built_for(session)
        finally:
            db.dispose()
        if day is None or day >= date.today():
            return
        click.echo(f"The demo clinic was built for {day}: building it again for today...", err=True)
        for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
    else:
        click.echo("Building the demo clinic (first time only)...", err=True)
    _build_demo(state, url, date.today(), DEMO_YEARS, 7, now=datetime.now().astimezone())


def _build_demo(
    state: Context,
    url: str,
    day: date,
    years: float,
    seed: int,
    now: datetime | None = None,
    unsigned_days: int = 0,
) -> "DemoSummary":
    from console.clinic.setup import prepare_new
    from console.demo.builder import build_demo

    prepare_new(url).dispose()  # a new file (its folder made), never over a clinic
    settings = state.settings()
    had_key = settings.key_file.exists()
    summary = build_demo(
        url,
        today=day,
        years=years,
        seed=seed,
        zone=settings.zone,
        now=now,
        unsigned_days=unsigned_days,
        key_file=settings.key_file,
    )
    if not had_key:
        _key_made(settings.key_file)
    return summary


@cli.command("demo")
@click.option("--db", type=_file(), required=True, help="New SQLite file for the demo clinic.")
@click.option("--date", "day", type=DAY, help="The demo's today (default: today).")
@click.option(
    "--years", type=click.FloatRange(0.01, 10), default=0.5, show_default=True, help="Years of history."
)
@click.option("--seed", type=int, default=7, help="Random seed: the same seed builds the same clinic.")
@click.option(
    "--unsigned-days",
    type=click.IntRange(min=0),
    default=0,
    help="The physician is this many days behind: a long review backlog.",
)
@click.pass_obj
def demo_command(
    state: "Context", db: Path, day: datetime | None, years: float, seed: int, unsigned_days: int
) -> None:
    """Build a realistic, deterministic demo clinic in a new database file."""
    from console.store.database import sqlite_url

    path = db.expanduser().resolve()
    today = day.date() if day else date.today()
    summary = _build_demo(state, sqlite_url(path), today, years, seed, unsigned_days=unsigned_days)
    size_mb = path.stat().st_size / 1_000_000
    click.echo(
        f"Demo clinic in {path}: {summary.patients} patients, {summary.sessions} past sessions, "
        f"{summary.vitals} vitals readings, {summary.today_sessions} sessions today "
        f"({summary.seconds:.1f} s, {size_mb:.1f} MB)."
    )


ADMIN = click.option(
    "--admin", metavar="USERNAME", help="The administrator doing this (asked for their password)."
)
STDIN = click.option(
    "--password-stdin",
    is_flag=True,
    help="Read passwords from stdin, one per line: the administrator's first, then any new password.",
)


def _secret(prompt: str, from_stdin: bool, twice: bool = False) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt(prompt, hide_input=True, confirmation_prompt=twice)


def _os_user() -> str:
    import getpass

    return getpass.getuser()


def _proven_admin(
    state: "Context", admin: str | None, from_stdin: bool, db: "Database | None" = None
) -> tuple["Database", "Actor"]:
    """The database and the administrator who proved who they are (username and password)."""
    from console.clinic.users import prove_admin

    if not admin:
        raise ConfigurationError("name the administrator doing this with --admin USERNAME")
    db = db or state.database()
    password = _secret(f"Password of administrator {admin}", from_stdin)
    return db, prove_admin(db, admin, password)


@user_cli.command("add")
@click.argument("username")
@click.option("--name", required=True, help="Printed name, e.g. 'Dr. Priya Raman'.")
@click.option("--role", required=True, help="nurse, physician or admin.")
@ADMIN
@STDIN
@click.pass_obj
def user_add(
    state: "Context", username: str, name: str, role: str, admin: str | None, password_stdin: bool
) -> None:
    """Create a user account (its password is asked twice).

    A new clinic's first administrator is created without --admin; every later user needs one.
    """
    from console.clinic.users import create_user, first_admin_needed
    from console.domain.actors import Actor

    db = state.database()
    if first_admin_needed(db) and not admin:
        if role != "admin":
            raise ConfigurationError(
                "this clinic has no administrator yet: create one first (user add NAME --role admin)"
            )
        actor = Actor.system(f"cli:{_os_user()}"[:32])
    else:
        db, actor = _proven_admin(state, admin, password_stdin, db)
    password = _secret(f"Password for {username}", password_stdin, twice=True)
    user = create_user(
        db, actor, {"username": username, "display_name": name, "role": role, "password": password}
    )
    click.echo(f"Created {user.role} {user.username} ({user.display_name}).")


@user_cli.command("list")
@ADMIN
@STDIN
@click.pass_obj
def user_list(state: "Context", admin: str | None, password_stdin: bool) -> None:
    """List the clinic's accounts: role, state and printed name."""
    from console.clinic.users import MAX_FAILED_ATTEMPTS, list_users

    db, actor = _proven_admin(state, admin, password_stdin)
    for user in list_users(db, actor):
        state_ = (
            "disabled"
            if not user.active
            else "locked"
            if user.failed_attempts >= MAX_FAILED_ATTEMPTS
            else "password change due"
            if user.must_change_password
            else "active"
        )
        click.echo(f"{user.username:<32} {user.role:<10} {state_:<20} {user.display_name}")


# A change to a user account: (database, administrator, username, passwords from stdin) -> what was done.
UserChange = Callable[["Database", "Actor", str, bool], str]


def _user_change(name: str, help_text: str, change: UserChange) -> None:
    @user_cli.command(name, help=help_text)
    @click.argument("username")
    @ADMIN
    @STDIN
    @click.pass_obj
    def command(state: "Context", username: str, admin: str | None, password_stdin: bool) -> None:
        db, actor = _proven_admin(state, admin, password_stdin)
        click.echo(change(db, actor, username, password_stdin))


def _unlock(db: "Database", actor: "Actor", username: str, _stdin: bool) -> str:
    from console.clinic.users import unlock_user

    unlock_user(db, actor, username, _os_user())
    return f"Unlocked {username}."


def _disable(db: "Database", actor: "Actor", username: str, _stdin: bool) -> str:
    from console.clinic.users import set_active

    set_active(db, actor, username, False, _os_user())
    return f"Disabled {username}: they can no longer sign in; their records keep their name."


def _enable(db: "Database", actor: "Actor", username: str, _stdin: bool) -> str:
    from console.clinic.users import set_active

    set_active(db, actor, username, True, _os_user())
    return f"Enabled {username}."


def _reset(db: "Database", actor: "Actor", username: str, stdin: bool) -> str:
    from console.clinic.users import reset_password

    reset_password(
        db, actor, username, _secret(f"Temporary password for {username}", stdin, twice=True), _os_user()
    )
    return f"Reset the password of {username}: they choose a new one at their next sign-in."


_user_change("unlock", "Lift the lockout after five failed sign-ins.", _unlock)
_user_change("disable", "Disable an account: it can no longer sign in.", _disable)
_user_change("enable", "Enable a disabled account again.", _enable)
_user_change("reset-password", "Give a temporary password, to be changed at the next sign-in.", _reset)


@user_cli.command("role")
@click.argument("username")
@click.argument("role")
@ADMIN
@STDIN
@click.pass_obj
def user_role(state: "Context", username: str, role: str, admin: str | None, password_stdin: bool) -> None:
    """Change a user's role (nurse, physician or admin)."""
    from console.clinic.users import set_role

    db, actor = _proven_admin(state, admin, password_stdin)
    set_role(db, actor, username, role, _os_user())
    click.echo(f"{username} is now {role}.")


@db_cli.command("upgrade")
@click.pass_obj
def db_upgrade(state: "Context") -> None:
    """Apply every pending schema migration."""
    from console.store.schema import SCHEMA_HEAD

    state.database(upgrading=True)
    click.echo(f"Database is at schema {SCHEMA_HEAD}.")


@db_cli.command("grant")
@click.argument("role")
@click.pass_obj
def db_grant(state: "Context", role: str) -> None:
    """Give a PostgreSQL application ROLE what the consoles need (run as the owner, after each upgrade)."""
    from console.store.pg_roles import grant_application_role

    tables = grant_application_role(state.database(), role)
    click.echo(f"Granted {role} rows of {tables} tables: read, add and change; never delete or alter.")


@audit_cli.command("verify")
@click.option(
    "--jobs",
    type=click.IntRange(1, 16),
    help="Processes to check with at once (default: the machine's cores, at most 4).",
)
@click.pass_obj
def audit_verify(state: "Context", jobs: int | None) -> None:
    """Check the audit chain, every row against its trail and every signed record.

    Exit 1 naming each problem found; exit 2 when nothing was found but keyed events could not be
    checked because the clinic key is not at hand.
    """
    import os

    from console.review.integrity import verify_record

    jobs = jobs or min(4, os.cpu_count() or 1)
    report = verify_record(state.database(writing=False), state.settings().anchor_file, jobs)
    for line in report.problems():
        click.echo(line, err=True)
    if not report.intact:
        raise click.exceptions.Exit(1)
    for line in report.summary():
        click.echo(line)
    if not report.complete:
        raise click.exceptions.Exit(2)


@audit_cli.command("rules")
@click.option("--date", "day", type=DAY, help="First clinic day (YYYY-MM-DD; default: the first on record).")
@click.option("--to", type=DAY, help="Last clinic day (default: --date, or the last on record).")
@click.pass_obj
def audit_rules(state: "Context", day: datetime | None, to: datetime | None) -> None:
    """Check the stored record against the clinical rules, whoever wrote it (a restored copy too).

    Exit 1 naming each session and the rule it breaks.
    """
    from console.review.record_rules import RULES, check_record

    if to is not None and day is None:
        raise click.UsageError("--to needs --date, the first clinic day to check.")
    if to is not None and day is not None and to < day:
        raise click.UsageError("--to is before --date: give the first clinic day, then the last.")
    db = state.database(writing=False)
    protocol = state.clinic_settings(db).protocol
    first = day.date() if day else None
    until = to or day
    last = until.date() if until else None
    report = check_record(db, protocol, first, last)
    for line in report.broken:
        click.echo(str(line))
    if report.broken:
        sessions = len({b.session_id for b in report.broken})
        click.echo(
            f"{len(report.broken)} rule(s) broken in {sessions} of {report.checked} session(s) checked."
        )
        raise click.exceptions.Exit(1)
    click.echo(f"{report.checked} session(s) checked: none breaks any of the {len(RULES)} rules.")


@cli.command("backup")
@click.argument("destination")
@click.pass_obj
def backup_command(state: "Context", destination: str) -> None:
    """Back up a SQLite clinic to a new file (or into a folder): checked, verified, with a manifest."""
    import json
    from datetime import datetime

    from console.export.signature import file_sha256
    from console.review.integrity import verify_record
    from console.store.backup import backup
    from console.store.database import Database, sqlite_url
    from console.store.private_files import write_durably
    from console.store.schema import current_revision

    db = state.database(writing=False)
    copy = backup(db, destination, datetime.now().astimezone())
    checked = Database(sqlite_url(copy))
    checked.audit_key = db.audit_key
    report = verify_record(checked)
    manifest = {
        "clinic": str(db.engine.url.database),
        "backup": str(copy),
        "made_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "bytes": copy.stat().st_size,
        "sha256": file_sha256(copy),
        "schema": current_revision(checked),
        "audit_events": report.chain.events,
        "audit_chain_head": report.chain.head,
        "audit_verify": "intact" if report.intact and report.complete else "see the problems below",
        "problems": report.problems(),
    }
    checked.dispose()
    write_durably(copy.with_suffix(".json"), json.dumps(manifest, indent=2) + "\n", append=False)
    for line in report.problems():
        click.echo(f"in the backup as in the clinic: {line}", err=True)
    if not report.intact:
        raise click.exceptions.Exit(1)
    click.echo(
        f"Backed up to {copy} ({manifest['bytes']:,} bytes, {report.chain.events} audit events, "
        f"verified); manifest {copy.with_suffix('.json')}."
    )


@audit_cli.command("anchor")
@click.pass_obj
def audit_anchor(state: "Context") -> None:
    """Write the audit chain's head, with time and count, to the anchor file (outside the database)."""
    from console.review.integrity import anchor_now

    settings = state.settings()
    anchor = anchor_now(state.database(), settings.anchor_file, settings.audit_anchor_syslog)
    if anchor is None:
        click.echo("The audit trail is empty: nothing to anchor.")
        return
    click.echo(f"Anchored {anchor.events} events, head {anchor.head}, in {settings.anchor_file}.")


@protocol_cli.command("check")
@click.argument("file", type=_file())
def protocol_check(file: Path) -> None:
    """Validate a protocol file and print the effective protocol, defaults merged."""
    from console.domain.protocol import describe, load_protocol

    click.echo(describe(load_protocol(file)), nl=False)


@protocol_cli.command("set")
@click.argument("file", type=_file())
@ADMIN
@STDIN
@click.pass_obj
def protocol_set(state: "Context", file: Path, admin: str | None, password_stdin: bool) -> None:
    """Make the protocol in FILE the clinic's, for every workstation (administrators only; audited)."""
    from console.clinic.clinic_protocol import set_protocol
    from console.domain.protocol import content_sha256, load_protocol

    protocol = load_protocol(file)  # checked before the administrator is asked for anything
    db, actor = _proven_admin(state, admin, password_stdin)
    changed = set_protocol(db, actor, protocol)
    where = f"{protocol.version} (sha256 {content_sha256(protocol)[:12]})"
    if not changed:
        click.echo(f"The clinic's protocol is already {where}: nothing changed.")
        return
    click.echo(
        f"The clinic's protocol is now {where}, set by {actor.username}. Every workstation applies it "
        "from its next sign-in."
    )


@protocol_cli.command("show")
@click.option("--history", is_flag=True, help="Every protocol the clinic has had, with who set it when.")
@click.pass_obj
def protocol_show(state: "Context", history: bool) -> None:
    """Print the clinic's protocol, every value, as TOML (or its history)."""
    from console.clinic.clinic_protocol import clinic_protocol, protocol_history
    from console.domain.protocol import describe

    db = state.database(writing=False)
    versions = protocol_history(db)
    if history:
        if not versions:
            click.echo("No protocol has been set: the built-in defaults apply.")
        for stored in versions:
            when = f"{stored.set_at:%Y-%m-%d %H:%M} UTC"
            click.echo(f"{when}  {stored.version:<20} {stored.sha256[:12]}  set by {stored.set_by}")
        return
    if versions:
        latest = versions[-1]
        click.echo(f"# set by {latest.set_by} at {latest.set_at:%Y-%m-%d %H:%M} UTC, sha256 {latest.sha256}")
    else:
        click.echo("# no protocol has been set: the built-in defaults apply")
    click.echo(describe(clinic_protocol(db)), nl=False)


@cli.command("log")
@click.option("--lines", type=click.IntRange(1, 100_000), default=40, show_default=True, help="How many.")
def log_command(lines: int) -> None:
    """Print where this account's error log is, and its last lines."""
    from collections import deque

    from console.clinic.logs import FILE, log_folder

    path = log_folder() / FILE
    if not path.exists():
        click.echo(f"No error has been logged by this account (its log would be {path}).")
        return
    click.echo(f"# {path}")
    with path.open(encoding="utf-8", errors="replace") as log:
        click.echo("".join(deque(log, maxlen=lines)), nl=False)


@cli.group("export", invoke_without_command=True)
@click.option("--date", "day", type=DAY, help="First clinic day (YYYY-MM-DD); required.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the files into; required.",
)
@click.option("--to", type=DAY, help="Last clinic day (default: --date).")
@click.option(
    "--format",
    "export_format",
    type=click.Choice([f.value for f in ExportFormat]),
    default=ExportFormat.CSV.value,
    help="csv: the CSV set with its data package; fhir: one FHIR R4B Bundle; xlsx: one workbook.",
)
@click.option(
    "--deidentify", is_flag=True, help="HIPAA Safe Harbor: no names, MRNs, free text, dates or record keys."
)
@click.option(
    "--limited-data-set",
    is_flag=True,
    help="HIPAA limited data set: no names, MRNs or free text; dates kept (needs a data use agreement).",
)
@click.option("--bom", is_flag=True, help="Write the UTF-8 byte-order mark Excel needs.")
@click.option("--force", is_flag=True, help="Overwrite an export already in the folder.")
@click.option(
    "--jobs",
    type=click.IntRange(1, 16),
    help="Processes writing the CSV set at once (default: one for a month or less, else the "
    "machine's cores, at most 4).",
)
@click.pass_context
def export_command(
    ctx: click.Context,
    day: datetime | None,
    out: Path | None,
    to: datetime | None,
    export_format: str,
    deidentify: bool,
    limited_data_set: bool,
    bom: bool,
    force: bool,
    jobs: int | None,
) -> None:
    """Export the clinic days' records as CSV files or a FHIR bundle, with a signed manifest (all, or none).

    `export verify DIR` checks an export received from the clinic.
    """
    import getpass
    import os

    from rich.progress import Progress, TaskID

    from console.export.files import export
    from console.export.modes import Mode
    from console.export.parallel import default_jobs
    from console.export.request import ExportRequest

    if ctx.invoked_subcommand is not None:
        return
    if day is None or out is None:
        raise click.UsageError(f"Missing option '{'--date' if day is None else '--out'}'.")
    if deidentify and limited_data_set:
        raise click.UsageError("Choose one of --deidentify and --limited-data-set.")
    mode = Mode.SAFE_HARBOR if deidentify else Mode.LIMITED if limited_data_set else Mode.IDENTIFIED
    state: Context = ctx.obj
    db = state.database()
    settings = state.clinic_settings(db)
    request = ExportRequest(
        date_from=day.date(),
        date_to=(to or day).date(),
        out=out,
        format=ExportFormat(export_format).value,
        mode=mode,
        bom=bom,
        force=force,
        tolerance_mg=settings.protocol.reconciliation_tolerance_mg,
        billing=settings.protocol.billing,
        thresholds=settings.protocol.thresholds,
    )
    with Progress(transient=True, disable=not sys.stderr.isatty()) as progress:
        tasks: dict[str, TaskID] = {}

        def advance(name: str, rows: int) -> None:
            if name not in tasks:  # one line per file, added when its first rows are written
                tasks[name] = progress.add_task(name, total=None)
            progress.update(tasks[name], completed=rows, description=f"{name}: {rows:,} written")

        manifest = export(
            db,
            f"cli:{getpass.getuser()}",
            request,
            settings.zone,
            advance,
            settings.anchor_file,
            jobs or default_jobs(request, os.cpu_count()),
        )
    counts = ", ".join(f"{name} {rows}" for name, rows in manifest.rows.items())
    click.echo(f"Exported to {out}: {counts}.")


@export_command.command("verify")
@click.argument("folder", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.pass_obj
def export_verify(state: "Context", folder: Path) -> None:
    """Check a received export: every file against the signed manifest (needs the clinic key).

    Exit 1 naming each problem; exit 2 when the files match but the signature could not be checked
    because the clinic key is not at hand.
    """
    from console.export.signature import verify_export
    from console.store.audit_key import read_key

    check = verify_export(folder, read_key(state.settings().key_file))
    for problem in check.problems:
        click.echo(f"export altered: {problem}", err=True)
    if not check.intact:
        raise click.exceptions.Exit(1)
    click.echo(f"{check.files} files match the manifest; audit chain head {check.head}")
    if not check.signed:
        click.echo("WITHOUT THE CLINIC KEY the manifest's signature was not checked", err=True)
        raise click.exceptions.Exit(2)
    click.echo("The manifest's signature holds: signed with the clinic key.")


@schedule_cli.command("import")
@click.argument("file", type=_file())
@click.pass_obj
def schedule_import(state: "Context", file: Path) -> None:
    """Import appointments from the scheduling system; one bad row refuses the whole file."""
    from console.chair.schedule_import import import_schedule, read_schedule
    from console.clinic.clinic_protocol import clinic_protocol
    from console.domain.actors import Actor

    rows = read_schedule(file)
    settings = state.settings()
    db = state.database()
    plan = clinic_protocol(db).series
    result = import_schedule(
        db, Actor.system("cli"), rows, settings.schedule_horizon_days, settings.zone, plan
    )
    if result.problems:
        click.echo(
            f"chairside: error: {file} has {len(result.problems)} problem(s); {result.refused()}:", err=True
        )
        for problem in result.problems:
            click.echo(f"  {problem}", err=True)
        raise click.exceptions.Exit(1)
    click.echo(
        f"Imported {result.sessions_created} session(s) from {file}: "
        f"{result.patients_created} new patient(s), {result.already_booked} already booked."
    )


def command() -> None:
    """The `chairside` program."""
    sys.exit(run())


def run(open_console: OpenConsole | None = None, argv: list[str] | None = None) -> int:
    """Run the command line; user errors print one line and return a non-zero code."""
    from console.store.private_files import keep_new_files_private

    keep_new_files_private()  # patient data, logs and exports: the clinic's account only
    try:
        result = cli.main(args=argv, prog_name="chairside", obj=open_console, standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as shown:  # a group named without its command: its help
        click.echo(shown.format_message())
        return shown.exit_code
    except click.Abort:
        click.echo("chairside: cancelled", err=True)
        return 130
    except click.ClickException as exc:  # usage errors: unknown option, bad value, missing argument
        click.echo(f"chairside: error: {exc.format_message()}", err=True)
        return exc.exit_code
    except ChairsideError as exc:
        click.echo(f"chairside: error: {exc}", err=True)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug, not the user's doing: one line here, the traceback in the log
        from console.clinic.logs import log_unexpected, without_typed_values

        where = log_unexpected(exc, "the command line")
        said = without_typed_values(str(exc))
        click.echo(f"chairside: internal error ({type(exc).__name__}): {said} (details in {where})", err=True)
        return 70
    return result if isinstance(result, int) else 0
