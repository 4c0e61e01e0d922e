"""The social media policy check: findings in a draft's text, each with what and where (character offsets).

Pure functions (no database): the organisation's policy is passed in, so the check is cheap to run on
every keystroke or every post of a bulk schedule.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from townsquare.enrichment.registry import get_enricher

BLOCK = "block"
WARN = "warn"

PHONE = re.compile(r"(?<![\d+])(?:\+44\s?\(?0?\)?|\(?0)\d[\d\s()-]{7,13}\d(?!\d)")
EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
NHS_NUMBER = re.compile(r"(?<![\d-])\d{3}[\s-]?\d{3}[\s-]?\d{4}(?![\d-])")
POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}"
# A house number, up to 60 characters of street and town, then a full postcode: an address, not an area.
ADDRESS = re.compile(rf"\b\d{{1,4}}[A-Za-z]?,?\s+[A-Za-z][^\n\d]{{0,60}}?\b{POSTCODE}\b", re.IGNORECASE)
LINK = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)


@dataclass(frozen=True)
class Policy:
    words_to_avoid: tuple[str, ...] = ()
    allowed_domains: tuple[str, ...] = ()
    # What each kind of finding does: block (cannot be submitted or approved) or warn.
    actions: dict[str, str] = field(
        default_factory=lambda: {
            "personal_data": BLOCK,
            "word_to_avoid": WARN,
            "link": WARN,
            "alt_text": WARN,
            "offensive": WARN,
        }
    )
    # The offensive model's probability from which a draft is reported. 0.75: on TweetEval's offensive
    # validation posts, 84.5% of those reported are offensive, and 33% of the offensive ones are reported.
    offensive_threshold: float = 0.75


@dataclass(frozen=True)
class Image:
    """What the check needs of an attached image: a name to point at it, and its alt text."""

    name: str
    alt_text: str


@dataclass(frozen=True)
class Finding:
    kind: str  # personal_data, word_to_avoid, link, offensive, alt_text
    what: str  # e.g. "UK phone number"
    text: str
    start: int
    end: int
    action: str
    image: int = 0  # for findings about an attached image: its number (1 = first); 0: in the text

    def describe(self) -> str:
        if self.image:
            return f"{self.what}: image {self.image} ({self.text})"
        return f"{self.what} at characters {self.start}-{self.end}: {self.text!r}"


def nhs_number_valid(digits: str) -> bool:
    """The NHS number's modulus 11 check digit."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    check = 11 - sum(int(digit) * (10 - index) for index, digit in enumerate(digits[:9])) % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def _phone_valid(match: str) -> bool:
    digits = re.sub(r"\D", "", match)
    if match.lstrip("(").startswith("+"):
        return len(digits) == 12  # 44 and ten digits
    return len(digits) in (10, 11)


def _personal_data(text: str) -> list[tuple[str, re.Match]]:
    found: list[tuple[str, re.Match]] = []
    taken: list[range] = []

    def add(what: str, match: re.Match) -> None:
        if not any(match.start() in span or match.end() - 1 in span for span in taken):
            found.append((what, match))
            taken.append(range(match.start(), match.end()))

    for match in EMAIL.finditer(text):
        add("e-mail address", match)
    for match in NHS_NUMBER.finditer(text):
        if nhs_number_valid(re.sub(r"\D", "", match.group())):
            add("NHS number", match)
    for match in PHONE.finditer(text):
        if _phone_valid(match.group()):
            add("UK phone number", match)
    for match in ADDRESS.finditer(text):
        add("home address (house number and postcode)", match)
    return found


def _domain_allowed(url: str, allowed: tuple[str, ...]) -> bool:
    host = (urlsplit(url if "://" in url else f"http://{url}").hostname or "").lower()
    return any(host == domain or host.endswith(f".{domain}") for domain in allowed)


def offensive_probability(text: str) -> float | None:
    """The enrichment model's probability that `text` is offensive; None when the model is not installed."""
    try:
        [result] = get_enricher("offensive").enrich_batch([text])
    except FileNotFoundError:  # the trained artefact is absent: the check runs without it
        return None
    return result.score if result.label == "offensive" else 1 - result.score


def policy_check(*, text: str, policy: Policy, images: Sequence[Image] = ()) -> list[Finding]:
    """Every finding in `text`, in order of position, then those about the attached `images` in order."""
    findings = [
        Finding("personal_data", what, match.group(), match.start(), match.end(), policy.actions["personal_data"])
        for what, match in _personal_data(text)
    ]
    for word in policy.words_to_avoid:
        for match in re.finditer(rf"\b{re.escape(word)}\b", text, re.IGNORECASE):
            findings.append(
                Finding(
                    "word_to_avoid",
                    f"word to avoid ({word})",
                    match.group(),
                    match.start(),
                    match.end(),
                    policy.actions["word_to_avoid"],
                )
            )
    for match in LINK.finditer(text):
        url = match.group().rstrip(".,;:!?)")
        if not _domain_allowed(url, policy.allowed_domains):
            findings.append(
                Finding(
                    "link",
                    "link outside the allowed sites",
                    url,
                    match.start(),
                    match.start() + len(url),
                    policy.actions["link"],
                )
            )
    probability = offensive_probability(text) if text.strip() else None
    if probability is not None and probability >= policy.offensive_threshold:
        what = f"offensive language (model score {probability:.2f})"
        findings.append(Finding("offensive", what, text, 0, len(text), policy.actions["offensive"]))
    findings.sort(key=lambda finding: (finding.start, finding.end))
    return findings + [
        Finding("alt_text", "missing alt text", image.name, 0, 0, policy.actions["alt_text"], image=number)
        for number, image in enumerate(images, start=1)
        if not image.alt_text.strip()
    ]
