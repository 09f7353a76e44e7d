"""Monitoring tests as typed at the chair: liver values on one line (`32 28 90 0.8`: ALT, AST and
ALP in U/L, bilirubin in mg/dL), a urinary screen as y or n, a pregnancy test as neg or pos."""

import re
from datetime import date

from console.domain.errors import InvalidInput
from console.domain.vocab import LabFinding, LabKind

LIVER_HINT = "ALT AST ALP in U/L and bilirubin in mg/dL, e.g. 32 28 90 0.8"
FINDING_WORDS = {
    LabKind.URINARY: {
        "n": LabFinding.NO_SYMPTOMS,
        "no": LabFinding.NO_SYMPTOMS,
        "none": LabFinding.NO_SYMPTOMS,
        "y": LabFinding.SYMPTOMS,
        "yes": LabFinding.SYMPTOMS,
    },
    LabKind.PREGNANCY: {
        "neg": LabFinding.NEGATIVE,
        "negative": LabFinding.NEGATIVE,
        "-": LabFinding.NEGATIVE,
        "pos": LabFinding.POSITIVE,
        "positive": LabFinding.POSITIVE,
        "+": LabFinding.POSITIVE,
    },
}
FINDING_HINT = {LabKind.URINARY: "n (no symptoms) or y (symptoms)", LabKind.PREGNANCY: "neg or pos"}


NUMBER = re.compile(r"[0-9]+(\.[0-9]+)?")  # as printed on a lab report: no exponents, underscores or signs


def liver_values(line: str) -> dict[str, float]:
    """The four liver values typed on one line, by field name; InvalidInput naming what is accepted."""
    if re.search(r"\d,\d", line):
        raise InvalidInput(
            "liver", f"Liver tests: a point for decimals, spaces between values: {LIVER_HINT}."
        )
    parts = line.replace(",", " ").split()
    if len(parts) != 4:
        raise InvalidInput("liver", f"Liver tests: {len(parts)} values; four are needed: {LIVER_HINT}.")
    if not all(NUMBER.fullmatch(p) for p in parts):
        raise InvalidInput("liver", f"Liver tests: numbers only: {LIVER_HINT}.")
    numbers = [float(p) for p in parts]
    if any(n != int(n) for n in numbers[:3]):
        raise InvalidInput("liver", f"Liver tests: ALT, AST and ALP are whole U/L: {LIVER_HINT}.")
    alt, ast, alp, bilirubin = numbers
    return {"alt_u_l": int(alt), "ast_u_l": int(ast), "alp_u_l": int(alp), "bilirubin_mg_dl": bilirubin}


def finding(kind: LabKind, word: str) -> LabFinding:
    """The finding a word gives for a urinary screen or a pregnancy test."""
    found = FINDING_WORDS[kind].get(word.strip().casefold())
    if found is None:
        raise InvalidInput(kind.value, f"{kind.label.capitalize()}: {FINDING_HINT[kind]}.")
    return found


def typed_results(taken_on: str, liver: str, urinary: str, pregnancy: str) -> list[dict[str, object]]:
    """The tests typed in the dialog, one record each for the lines filled in, all of one day."""
    try:
        day = date.fromisoformat(taken_on.strip())
    except ValueError:
        raise InvalidInput("taken_on", "Taken on: the day of the sample as YYYY-MM-DD.") from None
    found: list[dict[str, object]] = []
    if liver.strip():
        found.append({"kind": LabKind.LIVER, "taken_on": day, **liver_values(liver)})
    for kind, word in ((LabKind.URINARY, urinary), (LabKind.PREGNANCY, pregnancy)):
        if word.strip():
            found.append({"kind": kind, "taken_on": day, "finding": finding(kind, word)})
    return found
