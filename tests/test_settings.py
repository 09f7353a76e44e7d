"""Settings come from a TOML file and CHAIRSIDE_ variables; a bad value is one clear error."""

import pytest

from console.errors import ConfigurationError
from console.settings import load_settings


def test_defaults_come_from_the_clinical_reference():
    settings = load_settings()
    assert settings.protocol.iv_vitals_interval_min == 15
    assert settings.protocol.nasal_observation_min == 120
    thresholds = settings.protocol.thresholds
    assert (thresholds.systolic_hold, thresholds.diastolic_hold, thresholds.spo2_low) == (180, 110, 92)
    assert (thresholds.heart_rate_low, thresholds.heart_rate_high, thresholds.moaas_low) == (50, 120, 2)


def test_file_then_environment(tmp_path, monkeypatch):
    config = tmp_path / "clinic.toml"
    config.write_text(
        'clinic_name = "Lakeside Pain Clinic"\ntimezone = "America/Chicago"\n'
        "[protocol]\niv_vitals_interval_min = 10\n"
    )
    settings = load_settings(config)
    assert (settings.clinic_name, settings.timezone, settings.protocol.iv_vitals_interval_min) == (
        "Lakeside Pain Clinic",
        "America/Chicago",
        10,
    )
    monkeypatch.setenv("CHAIRSIDE_CLINIC_NAME", "From the environment")
    monkeypatch.setenv("CHAIRSIDE_PROTOCOL__THRESHOLDS__SPO2_LOW", "90")
    settings = load_settings(config)
    assert settings.clinic_name == "From the environment" and settings.protocol.thresholds.spo2_low == 90


@pytest.mark.parametrize(
    "content, named",
    [
        ('timezone = "Mars/Olympus"', "timezone"),
        ("[protocol]\niv_vitals_interval_min = 0", "iv_vitals_interval_min"),
        ("clinic_name = ", "not valid TOML"),
        ("colour = 'blue'", "colour"),
        ("[protocol.thresholds]\nheart_rate_low = 110\nheart_rate_high = 100", "heart_rate_low"),
    ],
)
def test_bad_file_is_refused_naming_the_key(tmp_path, content, named):
    config = tmp_path / "bad.toml"
    config.write_text(content)
    with pytest.raises(ConfigurationError, match=named):
        load_settings(config)


def test_missing_named_file_is_refused(tmp_path):
    with pytest.raises(ConfigurationError, match="not found"):
        load_settings(tmp_path / "absent.toml")
