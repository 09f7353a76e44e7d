"""A signed export: the manifest lists every file's SHA-256 and is signed (HMAC-SHA256) with the
clinic key, so a receiver holding the key can prove that no file was changed, added or removed.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from console.domain.errors import InvalidInput
from console.store.audit import canonical_json
from console.store.audit_key import key_id

MANIFEST = "manifest.json"
SIGNATURE = "signature"


def sign(manifest: dict[str, Any], key: bytes | None) -> dict[str, Any]:
    """The manifest with its signature (none without a key: the export says it is unsigned)."""
    if key is None:
        return manifest | {SIGNATURE: None}
    digest = hmac.new(key, canonical_json(manifest).encode(), hashlib.sha256).hexdigest()
    return manifest | {SIGNATURE: {"algorithm": "HMAC-SHA256", "key_id": key_id(key), "value": digest}}


def file_sha256(path: Path) -> str:
    """The file's digest, read in chunks: a five-year vitals.csv is larger than the export's memory."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class ExportCheck:
    files: int = 0
    problems: list[str] = field(default_factory=list)
    signed: bool = False  # the signature was checked and holds
    head: str = ""  # the audit chain head the export names

    @property
    def intact(self) -> bool:
        return not self.problems


def verify_export(folder: Path, key: bytes | None) -> ExportCheck:
    """Every file against the manifest, no file beside them, and the manifest against its signature."""
    check = ExportCheck()
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        listed: dict[str, dict] = manifest["files"]
    except FileNotFoundError:
        raise InvalidInput(
            "folder", f"Folder: {folder} holds no {MANIFEST}: not a Chairside export."
        ) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput("folder", f"{folder / MANIFEST}: not a Chairside manifest ({exc}).") from None
    check.head = str(manifest.get("audit_chain_head", ""))
    for name, entry in sorted(listed.items()):
        path = folder / name
        if not path.is_file():
            check.problems.append(f"{name}: listed in the manifest but missing")
        elif file_sha256(path) != entry.get("sha256"):
            check.problems.append(f"{name}: changed since it was exported (its SHA-256 differs)")
        check.files += 1
    extra = sorted(
        p.name for p in folder.iterdir() if p.is_file() and p.name not in listed and p.name != MANIFEST
    )
    check.problems += [f"{name}: not part of the export" for name in extra if not name.startswith(".")]
    signature = manifest.pop(SIGNATURE, None)
    if signature is None:
        check.problems.append("the manifest is not signed (exported without the clinic key)")
    elif key is not None:
        if signature.get("key_id") != key_id(key):
            check.problems.append(
                f"the manifest is signed with another key (key id {signature.get('key_id')})"
            )
        elif not hmac.compare_digest(sign(manifest, key)[SIGNATURE]["value"], str(signature.get("value"))):
            check.problems.append("the manifest was changed after it was signed")
        else:
            check.signed = True
    return check
