"""Configuration: a TOML file and CHAIRSIDE_ environment variables, validated at start."""

import os
import tomllib
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from console.errors import ConfigurationError


class AlertThresholds(BaseModel):
    """Default alert thresholds from the clinical reference; every clinic may change them."""

    systolic_hold: int = Field(180, ge=100, le=260, description="SBP at or above this holds dosing (mmHg)")
    diastolic_hold: int = Field(110, ge=60, le=160, description="DBP at or above this holds dosing (mmHg)")
    systolic_predose_warn: int = Field(
        140, ge=100, le=260, description="pre-dose SBP above this warns (mmHg)"
    )
    diastolic_predose_warn: int = Field(90, ge=50, le=160, description="pre-dose DBP above this warns (mmHg)")
    spo2_low: int = Field(92, ge=70, le=100, description="SpO2 below this alerts (%)")
    heart_rate_low: int = Field(50, ge=20, le=100, description="HR below this alerts (/min)")
    heart_rate_high: int = Field(120, ge=60, le=250, description="HR above this alerts (/min)")
    moaas_low: int = Field(2, ge=0, le=5, description="MOAA/S at or below this alerts")


class Protocol(BaseModel):
    iv_vitals_interval_min: int = Field(15, ge=1, le=120, description="minutes between IV readings")
    nasal_observation_min: int = Field(
        120, ge=0, le=600, description="observation after the first nasal device"
    )
    nasal_vitals_at_min: list[int] = Field([40], description="minutes after dosing when nasal vitals are due")
    nasal_device_mg: float = Field(28, gt=0, le=200, description="esketamine per nasal device (mg)")
    thresholds: AlertThresholds = AlertThresholds()


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
    protocol: Protocol = Protocol()

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

    @model_validator(mode="after")
    def _thresholds_ordered(self) -> "Settings":
        t = self.protocol.thresholds
        if t.heart_rate_low >= t.heart_rate_high:
            raise ValueError("protocol.thresholds: heart_rate_low must be below heart_rate_high")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def default_config_file() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("chairside")) / "chairside.toml"


def load_settings(config_file: Path | None = None) -> Settings:
    """Read settings: environment over file over defaults; a bad value is one clear error."""
    path = config_file or Path(os.environ.get("CHAIRSIDE_CONFIG") or default_config_file())
    if config_file is not None and not path.is_file():
        raise ConfigurationError(f"configuration file not found: {path}")
    try:
        if path.is_file():
            tomllib.loads(path.read_text(encoding="utf-8"))  # syntax first, for a precise message
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot be read ({exc.strerror})") from None

    class FileSettings(Settings):
        @classmethod
        def settings_customise_sources(
            cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=path)

    try:
        return FileSettings()
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(part) for part in error["loc"]) or "settings"
        raise ConfigurationError(
            f"setting {key} (in {path} or CHAIRSIDE_ variables): {error['msg']}"
        ) from None


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("chairside"))
