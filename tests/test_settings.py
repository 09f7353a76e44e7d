"""Settings and the clinic protocol come from TOML files and the environment; bad values are refused."""

from pathlib import Path

import pytest

from console.clinic.settings import load_settings, trial_protocol
from console.domain.errors import ConfigurationError
from console.domain.protocol import Protocol, describe, load_protocol


def test_protocol_defaults_come_from_the_clinical_reference() -> None:
    protocol = Protocol()
    assert (protocol.iv.vitals_interval_min, protocol.nasal.observation_min) == (15, 120)
    assert (protocol.iv.rate_min_mg_per_kg_h, protocol.iv.rate_max_mg_per_kg_h) == (0.5, 2.0)
    assert protocol.nasal.allowed_doses_mg == [56, 84] and protocol.nasal.vitals_at_min == [40]
    thresholds = protocol.thresholds
    assert (thresholds.systolic_hold, thresholds.diastolic_hold, thresholds.spo2_low) == (180, 110, 92)
    assert (thresholds.heart_rate_low, thresholds.heart_rate_high, thresholds.moaas_low) == (50, 120, 2)
    assert (thresholds.systolic_predose_warn, thresholds.diastolic_predose_warn) == (140, 90)


def test_settings_file_then_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "clinic.toml"
    config.write_text('clinic_name = "Lakeside Pain Clinic"\ntimezone = "America/Chicago"\n')
    settings = load_settings(config)
    assert (settings.clinic_name, settings.timezone) == ("Lakeside Pain Clinic", "America/Chicago")
    monkeypatch.setenv("CHAIRSIDE_CLINIC_NAME", "From the environment")
    assert load_settings(config).clinic_name == "From the environment"


def test_a_protocol_file_to_try_is_chosen_by_argument_or_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    protocol = tmp_path / "protocol.toml"
    protocol.write_text(
        'version = "lakeside-7"\n[iv]\nvitals_interval_min = 10\n[thresholds]\nspo2_low = 90\n'
    )
    assert trial_protocol() is None
    chosen = trial_protocol(protocol)
    assert chosen is not None
    assert (chosen.version, chosen.iv.vitals_interval_min, chosen.thresholds.spo2_low) == (
        "lakeside-7",
        10,
        90,
    )
    assert chosen.nasal.observation_min == 120  # what the file leaves out keeps its default
    monkeypatch.setenv("CHAIRSIDE_PROTOCOL", str(protocol))
    assert (trial_protocol() or Protocol()).version == "lakeside-7"


@pytest.mark.parametrize(
    "content, named",
    [
        ('timezone = "Mars/Olympus"', "timezone"),
        ("clinic_name = ", "not valid TOML"),
        ("colour = 'blue'", "colour"),
    ],
)
def test_bad_settings_file_is_refused_naming_the_key(tmp_path: Path, content: str, named: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(content)
    with pytest.raises(ConfigurationError, match=named):
        load_settings(config)


@pytest.mark.parametrize(
    "content, named",
    [
        ("[iv]\nvitals_interval_min = 0", "iv.vitals_interval_min"),
        ("[thresholds]\nheart_rate_low = 90\nheart_rate_high = 80", "heart_rate_low must be below"),
        ("[iv]\nrate_min_mg_per_kg_h = 3\nrate_max_mg_per_kg_h = 2", "rate_min_mg_per_kg_h"),
        ("[nasal]\nallowed_doses_mg = []", "nasal.allowed_doses_mg"),
        ("[override_roles]\ndischarge = 'janitor'", "override_roles.discharge"),
        ("[iv]\nspeed = 3", "iv.speed"),
        ("version = ", "not valid TOML"),
    ],
)
def test_bad_protocol_file_is_refused_naming_the_key(tmp_path: Path, content: str, named: str) -> None:
    protocol = tmp_path / "protocol.toml"
    protocol.write_text(content)
    with pytest.raises(ConfigurationError, match=named):
        load_protocol(protocol)


def test_missing_named_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="not found"):
        load_settings(tmp_path / "absent.toml")
    with pytest.raises(ConfigurationError, match="protocol file not found"):
        load_protocol(tmp_path / "absent-protocol.toml")


def test_the_effective_protocol_reads_back_as_the_same_protocol(tmp_path: Path) -> None:
    protocol = Protocol(version="x-1", iv={"rate_max_mg_per_kg_h": 1.5})
    written = tmp_path / "effective.toml"
    written.write_text(describe(protocol))
    assert load_protocol(written) == protocol


def test_the_protocol_doc_documents_every_protocol_key_with_its_default() -> None:
    import tomllib
    from pathlib import Path

    doc = (Path(__file__).resolve().parent.parent / "docs" / "protocol.md").read_text(encoding="utf-8")
    block = doc.split("## Every key and its default")[1].split("```toml\n")[1].split("```")[0]
    documented = tomllib.loads(block)
    assert Protocol.model_validate(documented) == Protocol()  # the defaults shown are the defaults
    assert documented == tomllib.loads(describe(Protocol()))  # and no key is left out


def test_a_protocol_with_its_own_pre_infusion_items_loads_and_requires_only_what_it_lists(
    tmp_path: Path,
) -> None:
    """Written before `pre_infusion_required` existed: the default's required items it does not
    list are not required (else the clinic's stored protocol would no longer open)."""
    own = tmp_path / "protocol.toml"
    own.write_text('version = "lakeside-8"\n[checklists]\npre_infusion = ["IV site checked"]\n')
    assert load_protocol(own).checklists.pre_infusion_required == []
    own.write_text(
        'version = "lakeside-8"\n[checklists]\npre_infusion = ["IV site checked"]\n'
        'pre_infusion_required = ["Fasting"]\n'
    )
    with pytest.raises(ConfigurationError, match="'Fasting' is not in pre_infusion"):
        load_protocol(own)
    # A nasal list is newer than any clinic's file: leaving out its required items switches nothing off.
    own.write_text('version = "lakeside-8"\n[checklists]\npre_nasal = ["Ate nothing"]\n')
    with pytest.raises(ConfigurationError, match="pre_nasal_required: 'No food for 2 hours before the dose'"):
        load_protocol(own)
    own.write_text(
        'version = "lakeside-8"\n[checklists]\npre_nasal = ["Ate nothing"]\npre_nasal_required = []\n'
    )
    assert load_protocol(own).checklists.pre_nasal_required == []  # said, not left out
    own.write_text(
        'version = "lakeside-8"\n[checklists]\npre_nasal_required = ["IV site and cannula gauge checked"]\n'
    )
    with pytest.raises(ConfigurationError, match="'IV site and cannula gauge checked' is not in pre_nasal"):
        load_protocol(own)
