"""Scanner or person: the detector alone, fed keys with their times."""

from hypothesis import given
from hypothesis import strategies as st

from console.domain.scan import ScanDetector, ScannerSetup


def feed(
    detector: ScanDetector, text: str, gap: float, start: float = 100.0
) -> tuple[list[bool], str | None]:
    swallowed, at = [], start
    for character in text:
        swallowed.append(detector.key(character, at))
        at += gap
    return swallowed, detector.enter(at)


def test_a_fast_burst_shaped_like_an_mrn_and_ended_by_enter_is_a_scan() -> None:
    assert feed(ScanDetector(), "MRN100371124", gap=0.004)[1] == "MRN100371124"


def test_the_same_keys_typed_by_a_person_are_not() -> None:
    assert feed(ScanDetector(), "MRN100371124", gap=0.12)[1] is None


def test_short_or_letters_only_bursts_stay_in_the_field() -> None:
    assert feed(ScanDetector(), "marcus", gap=0.004)[1] is None  # a username typed quickly
    assert feed(ScanDetector(), "Kowalski", gap=0.004)[1] is None  # no digit: a name
    assert feed(ScanDetector(), "128/82 76", gap=0.004)[1] is None  # a vitals line


def test_a_pause_inside_the_run_starts_it_again() -> None:
    detector = ScanDetector()
    feed_keys = [("M", 0.0), ("R", 0.5)] + [(c, 0.5 + 0.004 * (i + 1)) for i, c in enumerate("N10037112")]
    for character, at in feed_keys:
        detector.key(character, 100 + at)
    assert detector.enter(100.55) == "RN10037112"  # the keys after the pause, which were the burst


def test_with_a_prefix_only_prefixed_codes_are_scans_and_none_of_their_keys_reach_a_field() -> None:
    detector = ScanDetector(ScannerSetup(prefix="§"))
    swallowed, code = feed(detector, "§MRN100371124", gap=0.004)
    assert code == "MRN100371124" and all(swallowed)
    assert feed(detector, "MRN100371124", gap=0.004)[1] is None  # no prefix: typed, whatever the speed


@given(text=st.text(max_size=30), gap=st.floats(min_value=0, max_value=1))
def test_any_keys_give_no_scan_or_an_mrn_shaped_code(text: str, gap: float) -> None:
    code = feed(ScanDetector(), text, gap)[1]
    assert code is None or (code in text and len(code) >= 8)
