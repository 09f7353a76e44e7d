"""The `chairside` command line.

Opening the console is app.py's `open_console`, registered by the installation under the entry point
group `chairside.console` and loaded only when the console opens: every other command (`--version`,
`export`, `audit verify`...) runs without importing Textual.
"""

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from console.domain.errors import ChairsideError, ConfigurationError

OpenConsole = Callable[["Context"], None]
CONSOLE_GROUP = "chairside.console"  # where the installation names the function that opens the console

cli = typer.Typer(
    name="chairside",
    help="Chairside: the infusion-chair console of a ketamine clinic.",
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=False,
)
user_cli = typer.Typer(help="Manage user accounts.", no_args_is_help=True)
db_cli = typer.Typer(help="Database schema.", no_args_is_help=True)
audit_cli = typer.Typer(help="The audit trail.", no_args_is_help=True)
schedule_cli = typer.Typer(help="Appointments.", no_args_is_help=True)
cli.add_typer(user_cli, name="user")
cli.add_typer(db_cli, name="db")
cli.add_typer(audit_cli, name="audit")
cli.add_typer(schedule_cli, name="schedule")
protocol_cli = typer.Typer(help="The clinic protocol.", no_args_is_help=True)
cli.add_typer(protocol_cli, name="protocol")


class ExportFormat(StrEnum):
    CSV = "csv"
    FHIR = "fhir"


@dataclass
class Context:
    """What every command needs: settings and where the database is."""

    db_path: Path | None
    config: Path | None
    demo: bool
    open_console: OpenConsole | None
    protocol: Path | None = None

    def settings(self):
        from console.clinic.settings import load_settings

        return load_settings(self.config, self.protocol)

    def url(self) -> str:
        from console.clinic.locations import database_url

        return database_url(self.settings(), self.db_path, self.demo)

    def database(self):
        """The database, migrated to this code's schema (refused if it is newer)."""
        from console.store.database import Database
        from console.store.schema import ensure_schema

        db = Database(self.url())
        ensure_schema(db)
        return db


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"chairside {version('chairside')}")
        raise typer.Exit()


@cli.callback(invoke_without_command=True)
def main(
    ctx: typer.Context,
    db: Annotated[
        Path | None, typer.Option("--db", help="SQLite database file to use.", dir_okay=False)
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="Settings file (TOML).", dir_okay=False)
    ] = None,
    demo: Annotated[bool, typer.Option("--demo", help="Open the demo clinic (built on first use).")] = False,
    protocol: Annotated[
        Path | None,
        typer.Option(
            "--protocol", help="Clinic protocol file (TOML); or CHAIRSIDE_PROTOCOL.", dir_okay=False
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Open the console; or run one of the commands below."""
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


def installed_console() -> OpenConsole | None:
    """The installation's console (app.py), imported now that a screen is to be shown."""
    from importlib.metadata import entry_points

    registered = entry_points(group=CONSOLE_GROUP, name="open")
    return next(iter(registered)).load() if registered else None


def _ensure_demo(state: Context) -> None:
    from console.store.database import Database
    from console.store.schema import current_revision

    url = state.url()
    probe = Database(url)
    try:
        built = current_revision(probe) is not None
    finally:
        probe.dispose()
    if not built:
        typer.echo("Building the demo clinic (first time only)...", err=True)
        _build_demo(state, url, date.today(), 0.5, 7, now=datetime.now().astimezone())


def _build_demo(
    state: Context, url: str, day: date, years: float, seed: int, now=None, unsigned_days: int = 0
):
    from console.demo.builder import build_demo

    settings = state.settings()
    return build_demo(
        url, today=day, years=years, seed=seed, zone=settings.zone, now=now, unsigned_days=unsigned_days
    )


@cli.command("demo")
def demo_command(
    ctx: typer.Context,
    db: Annotated[Path, typer.Option("--db", help="New SQLite file for the demo clinic.", dir_okay=False)],
    day: Annotated[
        datetime | None,
        typer.Option("--date", formats=["%Y-%m-%d"], help="The demo's today (default: today)."),
    ] = None,
    years: Annotated[float, typer.Option("--years", help="Years of history.", min=0.01, max=10)] = 0.5,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed: the same seed builds the same clinic.")
    ] = 7,
    unsigned_days: Annotated[
        int,
        typer.Option(
            "--unsigned-days", min=0, help="The physician is this many days behind: a long review backlog."
        ),
    ] = 0,
) -> None:
    """Build a realistic, deterministic demo clinic in a new database file."""
    from console.store.database import sqlite_url

    state: Context = ctx.obj
    path = db.expanduser().resolve()
    if path.exists() and path.stat().st_size > 0:
        raise ConfigurationError(f"{path} already exists: the demo is built in a new file")
    today = day.date() if day else date.today()
    summary = _build_demo(state, sqlite_url(path), today, years, seed, unsigned_days=unsigned_days)
    size_mb = path.stat().st_size / 1_000_000
    typer.echo(
        f"Demo clinic in {path}: {summary.patients} patients, {summary.sessions} past sessions, "
        f"{summary.vitals} vitals readings, {summary.today_sessions} sessions today "
        f"({summary.seconds:.1f} s, {size_mb:.1f} MB)."
    )


@user_cli.command("add")
def user_add(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Sign-in name, lower case.")],
    name: Annotated[str, typer.Option("--name", help="Printed name, e.g. 'Dr. Priya Raman'.")],
    role: Annotated[str, typer.Option("--role", help="nurse, physician or admin.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
) -> None:
    """Create a user account (asks for the password twice)."""
    from console.clinic.users import create_user
    from console.domain.actors import Actor

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    db = ctx.obj.database()
    user = create_user(
        db,
        Actor.system("cli"),
        {"username": username, "display_name": name, "role": role, "password": password},
    )
    typer.echo(f"Created {user.role} {user.username} ({user.display_name}).")


@user_cli.command("unlock")
def user_unlock(
    ctx: typer.Context, username: Annotated[str, typer.Argument(help="The locked account.")]
) -> None:
    """Clear the failed sign-in counter of a locked account."""
    from console.clinic.users import unlock_user
    from console.domain.actors import Actor

    unlock_user(ctx.obj.database(), Actor.system("cli"), username)
    typer.echo(f"Unlocked {username}.")


@db_cli.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Apply every pending schema migration."""
    from console.store.schema import SCHEMA_HEAD

    ctx.obj.database()
    typer.echo(f"Database is at schema {SCHEMA_HEAD}.")


@audit_cli.command("verify")
def audit_verify(ctx: typer.Context) -> None:
    """Check the audit hash chain and every signature and addendum; exit 1 naming the first altered."""
    from console.review.signature_check import verify_signatures
    from console.store.audit import verify_chain

    db = ctx.obj.database()
    with db.read() as session:
        report = verify_chain(session)
        signed = verify_signatures(session)
    if not report.intact:
        typer.echo(f"audit chain broken at event {report.broken_at}: {report.problem}", err=True)
    if not signed.intact:
        typer.echo(f"signed record altered: {signed.problem}", err=True)
    if not (report.intact and signed.intact):
        raise typer.Exit(1)
    typer.echo(f"audit chain intact: {report.events} events, head {report.head}")
    typer.echo(f"signed records intact: {signed.signatures} signatures, {signed.addenda} addenda")


@protocol_cli.command("check")
def protocol_check(
    file: Annotated[Path, typer.Argument(help="Protocol file (TOML) to check.", dir_okay=False)],
) -> None:
    """Validate a protocol file and print the effective protocol, defaults merged."""
    from console.domain.protocol import describe, load_protocol

    typer.echo(describe(load_protocol(file)), nl=False)


@cli.command("export")
def export_command(
    ctx: typer.Context,
    day: Annotated[
        datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="First clinic day (YYYY-MM-DD).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the files into.", file_okay=False)],
    to: Annotated[
        datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Last clinic day (default: --date).")
    ] = None,
    export_format: Annotated[
        ExportFormat, typer.Option("--format", help="csv: the CSV set; fhir: one FHIR R4B Bundle.")
    ] = ExportFormat.CSV,
    deidentify: Annotated[
        bool, typer.Option("--deidentify", help="No names, MRNs or dates of birth.")
    ] = False,
    bom: Annotated[bool, typer.Option("--bom", help="Write the UTF-8 byte-order mark Excel needs.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an export already in the folder.")
    ] = False,
) -> None:
    """Export the clinic days' records as CSV files or a FHIR bundle, with a manifest (all, or none)."""
    import getpass

    from rich.progress import Progress, TaskID

    from console.export.files import export
    from console.export.request import ExportRequest

    settings = ctx.obj.settings()
    request = ExportRequest(
        date_from=day.date(),
        date_to=(to or day).date(),
        out=out,
        format=export_format.value,
        deidentify=deidentify,
        bom=bom,
        force=force,
        pseudonym_key=settings.pseudonym_key,
        tolerance_mg=settings.protocol.reconciliation_tolerance_mg,
    )
    db = ctx.obj.database()
    with Progress(transient=True, disable=not sys.stderr.isatty()) as progress:
        tasks: dict[str, TaskID] = {}

        def advance(name: str, rows: int) -> None:
            if name not in tasks:  # one line per file, added when its first rows are written
                tasks[name] = progress.add_task(name, total=None)
            progress.update(tasks[name], completed=rows, description=f"{name}: {rows:,} written")

        manifest = export(db, f"cli:{getpass.getuser()}", request, settings.zone, advance)
    counts = ", ".join(f"{name} {rows}" for name, rows in manifest.rows.items())
    typer.echo(f"Exported to {out}: {counts}.")


@schedule_cli.command("import")
def schedule_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV: date, time, chair, mrn, name, date_of_birth, method.")],
) -> None:
    """Import appointments from the scheduling system; one bad row refuses the whole file."""
    from console.chair.schedule_import import import_schedule, read_schedule
    from console.domain.actors import Actor

    rows = read_schedule(file)
    result = import_schedule(ctx.obj.database(), Actor.system("cli"), rows)
    if result.problems:
        typer.echo(
            f"chairside: error: {file} has {len(result.problems)} problem(s); nothing was imported:", err=True
        )
        for problem in result.problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(1)
    typer.echo(
        f"Imported {result.sessions_created} session(s) from {file}: "
        f"{result.patients_created} new patient(s), {result.already_booked} already booked."
    )


def command() -> None:
    """The `chairside` program."""
    sys.exit(run())


def run(open_console: OpenConsole | None = None, argv: list[str] | None = None) -> int:
    """Run the command line; user errors print one line and return a non-zero code."""
    command = typer.main.get_command(cli)
    try:
        result = command.main(args=argv, prog_name="chairside", obj=open_console, standalone_mode=False)
    except typer.Abort:
        typer.echo("chairside: cancelled", err=True)
        return 130
    except typer.TyperException as exc:  # usage errors: unknown option, bad value, missing argument
        if message := exc.format_message():  # empty when the help was shown instead
            typer.echo(f"chairside: error: {message}", err=True)
        return exc.exit_code or 2
    except ChairsideError as exc:
        typer.echo(f"chairside: error: {exc}", err=True)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug, not the user's doing: still one line, never a traceback on screen
        typer.echo(f"chairside: internal error ({type(exc).__name__}): {exc}", err=True)
        return 70
    return result if isinstance(result, int) else 0
