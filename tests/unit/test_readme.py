"""The README is a short front door, the pages in docs/ speak to users about the product, and every link works."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [README, *DOCS]
README_MAX_LINES = 300

# Words that only make sense to the people who built the product, never to its users.
INTERNAL = {
    "the seed material": re.compile(r"\bseed\b", re.IGNORECASE),
    "an issue number": re.compile(r"\bissues? #?\d+", re.IGNORECASE),
    "a path outside the repository": re.compile(r"(\.\./)+shared/|\bshared/reference\b"),
    "internal reference notes": re.compile(r"aws-facts", re.IGNORECASE),
    "a working session": re.compile(r"\bsessions?\b", re.IGNORECASE),
    "an agent": re.compile(r"\bagents?\b", re.IGNORECASE),
    "a helper": re.compile(r"\bhelpers?\b", re.IGNORECASE),
    "the machine it was built on": re.compile(r"\bthis (2-core )?machine\b", re.IGNORECASE),
}
LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^\s*```")
CODE_SPAN = re.compile(r"`[^`]*`")


def prose_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, text) outside fenced code blocks: a command or a sample email is not a sentence of ours."""
    lines: list[tuple[int, str]] = []
    in_code = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if FENCE.match(line):
            in_code = not in_code
            continue
        if not in_code:
            lines.append((number, line))
    return lines


def github_anchor(heading: str) -> str:
    """The id GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"<[^>]+>", "", heading.replace("`", "")).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    counts: dict[str, int] = {}
    for _, line in prose_lines(path):
        heading = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if heading:
            slug = github_anchor(heading.group(1))
            seen = counts.get(slug, 0)
            found.add(slug if seen == 0 else f"{slug}-{seen}")
            counts[slug] = seen + 1
        found.update(re.findall(r"<a\s+(?:id|name)=\"([^\"]+)\"", line))
    return found


def relative_links(path: Path) -> list[tuple[int, str]]:
    links: list[tuple[int, str]] = []
    for number, line in prose_lines(path):
        for target in LINK.findall(CODE_SPAN.sub("", line)):
            if not re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto: are not checked offline
                links.append((number, target))
    return links


def test_readme_is_a_short_front_door() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; move detail into docs/"


def test_the_docs_exist_and_the_readme_links_every_page() -> None:
    linked = {target.split("#")[0] for _, target in relative_links(README)}
    missing = [page.name for page in DOCS if f"docs/{page.name}" not in linked]
    assert DOCS, "docs/ has no pages"
    assert not missing, f"pages the README does not link: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_sentence_names_internal_material(page: Path) -> None:
    found = [
        f"{page.relative_to(ROOT)}:{number}: names {what}: {line.strip()}"
        for number, line in prose_lines(page)
        for what, pattern in INTERNAL.items()
        if pattern.search(line)
    ]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves(page: Path) -> None:
    broken: list[str] = []
    for number, target in relative_links(page):
        file_part, _, anchor = target.partition("#")
        destination = (page.parent / file_part).resolve() if file_part else page
        if not destination.exists():
            broken.append(f"{page.relative_to(ROOT)}:{number}: {target}: no such file")
        elif anchor and destination.suffix == ".md" and anchor not in anchors(destination):
            broken.append(f"{page.relative_to(ROOT)}:{number}: {target}: no such heading")
    assert not broken, "\n".join(broken)


def test_the_link_checker_catches_a_broken_anchor_and_file(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# What `cdk destroy` leaves\n[ok](#what-cdk-destroy-leaves) [bad](#nowhere) [gone](missing.md)\n"
        "```\n[in code](ignored.md)\n```\n",
        encoding="utf-8",
    )
    assert anchors(page) == {"what-cdk-destroy-leaves"}
    assert [target for _, target in relative_links(page)] == ["#what-cdk-destroy-leaves", "#nowhere", "missing.md"]


def test_the_readme_warns_about_the_evidence_lock_before_the_first_deploy_command() -> None:
    text = README.read_text(encoding="utf-8")
    deploy = text[text.index("## Deploy") :]
    before_first_command = deploy[: deploy.index("make deploy")]
    first_command = deploy[deploy.index("make deploy") :].splitlines()[0]
    for warning in ("Object Lock", "evidenceRetentionDays", "cdk destroy"):
        assert warning in before_first_command, f"the deploy section must mention {warning} before the command"
    assert "evidenceRetentionDays=1" in first_command, "the first command shown is a trial's, with a one-day lock"


def test_the_deployer_policy_only_assumes_the_bootstrap_roles() -> None:
    policy = json.loads((ROOT / "docs" / "deployer-policy.json").read_text(encoding="utf-8"))
    statements = {statement["Sid"]: statement for statement in policy["Statement"]}
    assume = statements["AssumeCdkBootstrapRoles"]
    assert set(assume["Action"]) == {"sts:AssumeRole", "sts:TagSession"}
    assert all(re.fullmatch(r"arn:aws:iam::\*:role/cdk-hnb659fds-[a-z-]+-role-\*", arn) for arn in assume["Resource"])
    assert statements["ReadCdkBootstrapVersion"]["Resource"].endswith(":parameter/cdk-bootstrap/hnb659fds/version")
    assert all(statement["Effect"] == "Allow" for statement in policy["Statement"])


def test_every_setting_the_readme_shows_is_one_the_synth_accepts() -> None:
    from infra.config import GovernanceConfig

    defaults = json.loads((ROOT / "cdk.json").read_text(encoding="utf-8"))["context"]
    commands = [line for line in README.read_text(encoding="utf-8").splitlines() if line.startswith("make deploy")]
    assert commands, "the README shows no deploy command"
    for command in commands:
        settings = dict(re.findall(r"-c (\w+)=([^\s\"]+)", command))
        assert settings, command
        config = GovernanceConfig.from_mapping({**defaults, **settings})  # raises ConfigError naming the key
        assert config.alert_emails, f"{command}: a deployment shown to newcomers names who is alerted"


def test_the_architecture_picture_is_self_contained_svg_shown_in_the_readme() -> None:
    from xml.etree import ElementTree

    picture = ROOT / "docs" / "architecture.svg"
    root = ElementTree.parse(picture).getroot()  # well-formed, or this raises
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.find("{http://www.w3.org/2000/svg}title") is not None, "a title for screen readers"
    text = picture.read_text(encoding="utf-8").replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert not re.search(r"https?://|@import|<image\b|xlink:href", text), "the picture fetches nothing"
    assert "](docs/architecture.svg)" in README.read_text(encoding="utf-8")
