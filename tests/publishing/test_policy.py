"""The policy check over crafted drafts: personal data, words to avoid, links, with exact offsets."""

from __future__ import annotations

import pytest

from townsquare.publishing.policy import BLOCK, WARN, Policy, nhs_number_valid, policy_check

POLICY = Policy(words_to_avoid=("gutted", "shambles"), allowed_domains=("northfield.gov.uk",))


def kinds(text: str, policy: Policy = POLICY) -> list[tuple[str, str]]:
    findings = policy_check(text=text, policy=policy)
    assert all(text[finding.start : finding.end] == finding.text for finding in findings)
    return [(finding.what, finding.text) for finding in findings]


@pytest.mark.parametrize(
    ("draft", "found"),
    [
        ("Ring Jo on 07700 900123 today", [("UK phone number", "07700 900123")]),
        ("Office: (020) 7946 0018.", [("UK phone number", "(020) 7946 0018")]),
        ("From abroad +44 7700 900123", [("UK phone number", "+44 7700 900123")]),
        ("Write to jo.bloggs@example.com please", [("e-mail address", "jo.bloggs@example.com")]),
        ("Patient 943 476 5919 was seen", [("NHS number", "943 476 5919")]),
        ("Patient 9434765919 was seen", [("NHS number", "9434765919")]),
        (
            "Fire at 12 Acacia Avenue, Northfield NF1 2AB last night",
            [("home address (house number and postcode)", "12 Acacia Avenue, Northfield NF1 2AB")],
        ),
    ],
)
def test_personal_data_is_found_where_it_is(draft, found):
    assert kinds(draft) == found
    assert all(finding.action == BLOCK for finding in policy_check(text=draft, policy=POLICY))


@pytest.mark.parametrize(
    "draft",
    [
        "Reference 943 476 5918 is not an NHS number (wrong check digit)",
        "Our offices near SW1A 1AA are open",  # a postcode alone is an area, not a home
        "Call 0800 12 for help",  # too short for a phone number
        "Bins collected on 12 May as normal",
    ],
)
def test_harmless_text_has_no_findings(draft):
    assert kinds(draft) == []


def test_nhs_check_digit():
    assert nhs_number_valid("9434765919")
    assert not nhs_number_valid("9434765918")
    assert not nhs_number_valid("12345")


def test_words_to_avoid_and_outside_links_warn_with_offsets():
    draft = "We are GUTTED. See https://www.northfield.gov.uk/bins, not http://rumours.example.com/x."
    findings = policy_check(text=draft, policy=POLICY)
    assert [(f.kind, f.text, f.start, f.action) for f in findings] == [
        ("word_to_avoid", "GUTTED", 7, WARN),
        ("link", "http://rumours.example.com/x", 59, WARN),
    ]


def test_the_action_per_kind_follows_the_policy():
    strict = Policy(allowed_domains=(), actions={"personal_data": WARN, "word_to_avoid": BLOCK, "link": BLOCK})
    findings = policy_check(text="Mail a@b.org or www.example.com", policy=strict)
    assert [(f.kind, f.action) for f in findings] == [("personal_data", WARN), ("link", BLOCK)]
