"""Every link between the documents leads somewhere: each relative link and image to a file that
exists, each `#anchor` to a heading of the file it names (by GitHub's slugs). Links to the web are
not followed; what is inside code is not a link."""

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [
    ROOT / "README.md",
    ROOT / "CONTRIBUTING.md",
    ROOT / "CHANGELOG.md",
    *sorted(ROOT.glob("docs/*.md")),
]

FENCED = re.compile(r"^ {0,3}(`{3,}|~{3,}).*?^ {0,3}\1[`~]*[ \t]*$", re.S | re.M)
CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.S)
# [text](target) and ![alt](target), the text possibly over several lines or holding [brackets].
INLINE = re.compile(
    r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*(<[^>]*>|[^\s)]+)(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)"
)
DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)", re.M)
HTML = re.compile(r"<(?:img|a)\b[^>]*?\b(?:src|href)=[\"']([^\"']+)[\"']", re.I)
HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$", re.M)
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)  # http:, https:, mailto: ...


def without_code(text: str) -> str:
    """The text with fenced blocks and code spans blanked: a `[x](y)` in code is not a link."""
    text = FENCED.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    return CODE_SPAN.sub("", text)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: its text lowercased, punctuation but hyphens and underscores
    dropped, each space a hyphen."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading: its text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").replace("*", "")
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every anchor a document's headings make; a repeated heading's gets -1, -2, ... as on GitHub."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    text = FENCED.sub("", path.read_text(encoding="utf-8"))
    for heading in HEADING.findall(text):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def targets(text: str) -> list[str]:
    plain = without_code(text)
    found = INLINE.findall(plain) + DEFINITION.findall(plain) + HTML.findall(plain)
    return [target.strip("<>") for target in found]


def broken_links(path: Path) -> list[str]:
    """What in `path` leads nowhere, one line each."""
    problems = []
    for target in targets(path.read_text(encoding="utf-8")):
        if EXTERNAL.match(target):
            continue  # the web is not fetched
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / unquote(file_part)).resolve() if file_part else path
        if not linked.exists():
            shown = linked.relative_to(ROOT) if linked.is_relative_to(ROOT) else linked
            problems.append(f"{target}: no file {shown}")
        elif anchor and linked.suffix == ".md" and unquote(anchor) not in anchors(linked):
            problems.append(f"{target}: no heading #{anchor} in {linked.name}")
        elif anchor and linked.suffix != ".md":
            problems.append(f"{target}: an anchor into a file that is not a document")
    return problems


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_and_image_leads_to_a_file_and_every_anchor_to_a_heading(document: Path) -> None:
    assert document.exists()
    assert broken_links(document) == []


def test_the_documents_link_to_each_other() -> None:
    """The check has something to check: the README links to every page of docs/, and pictures."""
    linked = targets((ROOT / "README.md").read_text(encoding="utf-8"))
    for page in ROOT.glob("docs/*.md"):
        assert f"docs/{page.name}" in linked, page.name
    assert any(target.endswith(".svg") for target in linked)


def test_a_broken_link_a_missing_picture_and_a_wrong_anchor_are_each_named(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other page\n\n## Two words, and more\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n## Same heading\n\n## Same heading\n\n"
        "[fine](other.md#two-words-and-more) [fine too](#same-heading-1) [web](https://example.org/x)\n"
        "`[in code](nowhere.md)`\n\n```sh\n[in a block](nowhere.md)\n```\n\n"
        "[gone](missing.md) ![picture](pictures/absent%5Bsize1%5D.svg)\n"
        "[wrong anchor](other.md#two-words) [wrong here](#same-heading-2)\n",
        encoding="utf-8",
    )
    problems = broken_links(page)
    assert len(problems) == 4, problems
    assert [p.split(":")[0] for p in problems] == [
        "missing.md",
        "pictures/absent%5Bsize1%5D.svg",
        "other.md#two-words",
        "#same-heading-2",
    ]


@pytest.mark.parametrize(
    "heading, anchor",
    [
        ("1. Install", "1-install"),
        ("bundle.json (`--format fhir`)", "bundlejson---format-fhir"),
        ("The physician's review", "the-physicians-review"),
        ("Where the data lives, and backups", "where-the-data-lives-and-backups"),
        ("rems_monitoring.csv", "rems_monitoringcsv"),
        ("Several workstations: PostgreSQL", "several-workstations-postgresql"),
    ],
)
def test_anchors_follow_githubs_slugs(heading: str, anchor: str) -> None:
    assert slug(heading) == anchor
