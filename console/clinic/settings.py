"""Configuration: a TOML file and CHAIRSIDE_ environment variables, validated at start."""

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, PrivateAttr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from console.domain.errors import ConfigurationError
from console.domain.protocol import Protocol, load_protocol
from console.domain.toml_text import read_toml


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHAIRSIDE_", env_nested_delimiter="__", extra="forbid")

    clinic_name: str = Field("Chairside Clinic", min_length=1, max_length=80)
    timezone: str = Field("UTC", description="IANA time zone of the clinic, e.g. America/Chicago")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default: a SQLite file in the data folder"
    )
    signing_idle_minutes: int = Field(
        10, ge=1, le=240, description="minutes without a signature before the password is asked again"
    )
    idle_lock_minutes: int = Field(
        5, ge=1, le=60, description="minutes without input before the console hides everything behind a lock"
    )
    schedule_horizon_days: int = Field(
        365, ge=1, le=3650, description="how far ahead an imported schedule may book, in days"
    )
    scanner_prefix: str = Field(
        "", max_length=1, description="the character the wristband scanner sends before each code, if set up"
    )
    audit_key_file: Path | None = Field(
        None,
        description="the clinic key audit events are keyed with (readable by the clinic's account only); "
        "default: audit.key beside the settings file. Every workstation of a clinic needs a copy",
    )
    audit_anchor_file: Path | None = Field(
        None,
        description="the append-only file the audit chain's head is written to at every start, export "
        "and day; default: audit-anchors.jsonl in the user's state folder",
    )
    audit_anchor_syslog: bool = Field(False, description="also send every audit anchor to syslog")
    # The protocol in force: the clinic's, from its database (see console.clinic.clinic_protocol).
    _protocol: Protocol = PrivateAttr(default_factory=Protocol)
    _protocol_tried: bool = PrivateAttr(default=False)  # a file being tried on the demo, not the clinic's

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as Europe/London)"
            ) from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def protocol(self) -> Protocol:
        return self._protocol

    @property
    def key_file(self) -> Path:
        return (self.audit_key_file or default_config_file().parent / "audit.key").expanduser()

    @property
    def anchor_file(self) -> Path:
        return (self.audit_anchor_file or default_state_dir() / "audit-anchors.jsonl").expanduser()

    @property
    def protocol_tried(self) -> bool:
        return self._protocol_tried

    def with_protocol(self, protocol: Protocol, tried: bool = False) -> "Settings":
        settings = self.model_copy()
        settings._protocol, settings._protocol_tried = protocol, tried
        return settings


def default_config_file() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("chairside")) / "chairside.toml"


@dataclass(frozen=True)
class SettingsFiles:
    """The files settings are read from: the workstation's, under the user's."""

    system: Path
    user: Path

    def layers(self) -> list[tuple[str, dict[str, Any]]]:
        """(where, values) of each file that exists, the lower first."""
        found = []
        if self.system.is_file():
            found.append((f"system file {self.system}", read_toml(self.system, "system settings file")))
        if self.user.is_file():
            found.append((f"user file {self.user}", read_toml(self.user, "configuration file")))
        return found


def settings_files(config_file: Path | None = None) -> SettingsFiles:
    user = config_file or Path(os.environ.get("CHAIRSIDE_CONFIG") or default_config_file())
    if config_file is not None and not user.is_file():
        raise ConfigurationError(f"configuration file not found: {user}")
    return SettingsFiles(default_system_file(), user)


def load_settings(config_file: Path | None = None) -> Settings:
    """Read settings: the environment over the user's file over the system file over the defaults.

    A bad value is one clear error naming the key. The protocol is the clinic's, read from its
    database once it is open (console.clinic.clinic_protocol).
    """
    files = settings_files(config_file)
    from_files: dict[str, Any] = {}
    for where, values in files.layers():
        _refuse_retired(values, where)
        from_files |= values
    _refuse_retired({key.removeprefix("CHAIRSIDE_").lower(): 1 for key in os.environ}, "the environment")

    class FileSettings(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            # The environment over the files over the defaults.
            return init_settings, env_settings, InitSettingsSource(settings_cls, init_kwargs=from_files)

    try:
        settings = FileSettings()
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(part) for part in error["loc"]) or "settings"
        raise ConfigurationError(
            f"setting {key} (in {files.user}, {files.system} or CHAIRSIDE_ variables): {error['msg']}"
        ) from None
    return settings


# Settings that are no longer read, and why: one left in a file is a mistake to point out, not to skip.
RETIRED = {
    "pseudonym_key": "de-identified exports name each patient by a random code kept in the clinic's database",
}


def _refuse_retired(values: dict[str, Any], where: str) -> None:
    for key, why in RETIRED.items():
        if key in values:
            raise ConfigurationError(f"setting {key} (in {where}) is no longer used: {why}; remove it")


def trial_protocol(protocol_file: Path | None = None) -> Protocol | None:
    """A protocol file to try (`--protocol`, else CHAIRSIDE_PROTOCOL), checked; None when none is given."""
    chosen = protocol_file or (
        Path(os.environ["CHAIRSIDE_PROTOCOL"]) if os.environ.get("CHAIRSIDE_PROTOCOL") else None
    )
    return None if chosen is None else load_protocol(chosen)


def effective_settings(config_file: Path | None = None) -> list[tuple[str, Any, str]]:
    """Each setting, its value, and where it came from (for `chairside config show`)."""
    settings = load_settings(config_file)
    files = settings_files(config_file)
    origins: dict[str, str] = {}
    for where, values in files.layers():
        origins |= {key: where for key in values}
    shown = []
    for key in Settings.model_fields:
        variable = f"CHAIRSIDE_{key.upper()}"
        origin = f"environment {variable}" if variable in os.environ else origins.get(key, "default")
        shown.append((key, getattr(settings, key), origin))
    return shown


def default_system_file() -> Path:
    """The workstation's settings, for every user of it: /etc/xdg/chairside/chairside.toml on Linux."""
    from platformdirs import site_config_dir

    return Path(site_config_dir("chairside")) / "chairside.toml"


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("chairside"))


def default_state_dir() -> Path:
    from platformdirs import user_state_dir

    return Path(user_state_dir("chairside"))
