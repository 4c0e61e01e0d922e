import pytest

from townsquare.listening.tokens import fold, link_domains, prepare_post, surface_tokens, tokenize


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Flood warning!", ["flood", "warning"]),
        ("don't", ["don", "t"]),
        ("covid-19", ["covid", "19"]),
        ("Café NAÏVE", ["cafe", "naive"]),
        ("nai\u0308ve", ["naive"]),  # decomposed accent stays inside the word
        ("snake_case", ["snake", "case"]),
        ("flood🌊warning 🤦🏾\u200d♂️ ok", ["flood", "warning", "ok"]),
        ("see https://example.org/a?b=c now", ["see", "now"]),
        ("HTTP://EXAMPLE.ORG/x", []),
        ("#Flood @Bob", ["flood", "bob"]),
        ("ＡＢＣ ﬁne", ["abc", "fine"]),  # compatibility forms fold (NFKD)
        ("ΣΟΦΟΣ", ["σοφοσ"]),  # final sigma is sigma
        ("İstanbul", ["istanbul"]),
        ("한국어", ["한국어"]),  # Hangul syllables survive NFKD + recomposition
        ("™ ©", []),
        ("x²", ["x2"]),
    ],
)
def test_tokenize(text, tokens):
    assert tokenize(text) == tokens


def test_surface_tokens_keep_case():
    assert surface_tokens("Call BT about O'Neil") == ["Call", "BT", "about", "O", "Neil"]


@pytest.mark.parametrize("token", ["Flood", "ÉCOLE", "ǅ", "Ａ", "ℌ"])
def test_fold_is_idempotent_and_one_token(token):
    folded = fold(token)
    assert fold(folded) == folded
    assert tokenize(folded) == [folded]


def test_link_domains_include_parents():
    assert link_domains(["https://news.bbc.co.uk/x", "example.org"]) == {
        "news.bbc.co.uk",
        "bbc.co.uk",
        "co.uk",
        "uk",
        "example.org",
        "org",
    }


def test_prepare_post_collects_everything():
    post = prepare_post(
        {
            "id": 7,
            "title": "Road closed",
            "text": "#Flood on Main St, ask @NorthfieldCC https://www.Example.org/p me@mail.com a#b",
            "author": {"handle": "@Resident_1", "followers": "1200", "country": "gb"},
            "lang": "EN",
            "network": "Mastodon",
            "hashtags": ["#Storm"],
            "links": ["https://gov.uk/x"],
        }
    )
    assert post.tokens[:4] == ("road", "closed", "flood", "on")
    assert "example" not in post.tokset  # links are not words
    assert post.hashtags == {"flood", "storm"}  # "a#b" is not a tag
    assert post.mentions == {"northfieldcc"}  # an e-mail address is not a mention
    assert {"www.example.org", "example.org", "gov.uk"} <= post.domains
    assert (post.author, post.followers, post.country) == ("resident_1", 1200, "GB")
    assert (post.lang, post.network) == ("en", "mastodon")
    assert post.positions["flood"] == [2]
    assert post.exact[:3] == ("Road", "closed", "Flood")
    assert post.exact_positions["Flood"] == [2]


def test_prepare_post_string_author_and_missing_fields():
    post = prepare_post({"id": "a", "text": "hi", "author": "@Bob", "country": "fr", "followers": 3})
    assert (post.author, post.country, post.followers, post.lang) == ("bob", "FR", 3, None)
