"""README's two commands on a machine that has only Python and make: a copy of the project in a new
folder, a new home folder, nothing of the system's PostgreSQL (the pinned pgserver package brings
its own) and no terminal multiplexer (the tests drive a pseudo-terminal themselves)."""

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.terminal import Terminal
from tests.test_end_to_end import _readme_first_command

ROOT = Path(__file__).resolve().parent.parent
# A part of the suite that needs PostgreSQL, its own server programs and a real terminal.
SAMPLE = [
    "tests/test_pg_server.py::test_the_packaged_server_programs_are_used_when_asked",
    "tests/test_pg_roles.py",
    "tests/test_end_to_end.py::test_nurse_opens_a_patient_by_mrn_records_vitals_and_pain_then_quits",
]


def _readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("```", 2)[1]
    return [line.split("#")[0].strip() for line in block.splitlines()[1:] if line.strip()]


def _copy_of_the_project(to: Path) -> Path:
    """The project's files as they are now (a fresh clone of them), without anything built."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (to / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, to / name)
    return to


def _bare_environment(home: Path) -> dict[str, str]:
    """Python and make on PATH, a new home, the system's PostgreSQL programs not used."""
    python = Path(sys.base_prefix) / "bin"  # the Python this suite runs on, not its virtual environment
    environment = {
        "HOME": str(home),
        "PATH": f"{python}:/usr/bin:/bin",
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "CHAIRSIDE_TEST_POSTGRES": "bundled",
    }
    # How this machine reaches the package index (proxy, certificates, a local wheel folder) stays.
    for key, value in os.environ.items():
        if key.startswith(("PIP_", "SSL_CERT_")) or key.lower().endswith("_proxy"):
            environment[key] = value
    return environment


@pytest.mark.slow
@pytest.mark.skipif(sys.version_info >= (3, 13), reason="the pinned pgserver has wheels up to Python 3.12")
def test_the_readme_commands_work_on_a_machine_with_only_python_and_make(
    tmp_path: Path, terminal: Terminal
) -> None:
    demo, test = _readme_commands()
    assert demo == _readme_first_command() == "make demo" and test == "make test"
    project = _copy_of_the_project(tmp_path / "chairside")
    home = tmp_path / "home"
    home.mkdir()
    environment = _bare_environment(home)
    assigned = " ".join(f"{key}={shlex.quote(value)}" for key, value in environment.items())
    line = f"cd {shlex.quote(str(project))} && env -i {assigned} {demo}; echo EXITED $?; sleep 30"
    terminal.open(line, width=100, height=30)
    terminal.wait_for("Username", timeout=480)  # installs, then builds the demo clinic
    terminal.type("nurse", "Enter", "demo-nurse-pass", "Enter")
    terminal.wait_for("Scheduled")
    terminal.type("C-q")
    terminal.wait_for("EXITED 0")
    environment["PYTEST_ADDOPTS"] = " ".join(SAMPLE)
    ran = subprocess.run(
        test.split(), cwd=project, env=environment, capture_output=True, text=True, timeout=900
    )
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    assert " passed" in ran.stdout and " failed" not in ran.stdout and " skipped" not in ran.stdout
