import pytest

from townsquare.listening.ast import And, Exact, Field, Followers, Near, Not, Or, Phrase, Term, Wildcard
from townsquare.listening.parser import QueryError, parse

T = Term


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("flood", T("flood")),
        ("Flood", T("flood")),
        ("don't", Phrase(("don", "t"))),
        ('"bin collection"', Phrase(("bin", "collection"))),
        ('"Bin"', T("bin")),
        ("flood*", Wildcard("flood*")),
        ("organi?ation", Wildcard("organi?ation")),
        ("Organi?ation*", Wildcard("organi?ation*")),
        ("{BT}", Exact(("BT",))),
        ("{Black Friday}", Exact(("Black", "Friday"))),
        ("a b", And((T("a"), T("b")))),
        ("a AND b", And((T("a"), T("b")))),
        ("a and b", And((T("a"), T("and"), T("b")))),  # lower-case operators are words
        ("a OR b c", Or((T("a"), And((T("b"), T("c")))))),
        ("a NOT b", And((T("a"), Not(T("b"))))),
        ("a -b", And((T("a"), Not(T("b"))))),
        ("a AND NOT b", And((T("a"), Not(T("b"))))),
        ("NOT a NEAR/2 b c", And((Not(Near((T("a"), T("b")), 2)), T("c")))),
        ("a NEAR/3 b", Near((T("a"), T("b")), 3)),
        ("a NEAR/3f b", Near((T("a"), T("b")), 3, True)),
        ("a ONEAR/3 b", Near((T("a"), T("b")), 3, True)),
        ('"a b"~4', Near((T("a"), T("b")), 4)),
        ('"a b c"~4', Near((T("a"), T("b"), T("c")), 4)),
        ('"don\'t go"~2', Near((Phrase(("don", "t")), T("go")), 2)),
        ('(a OR "b c") NEAR/1 dr*', Near((Or((T("a"), Phrase(("b", "c")))), Wildcard("dr*")), 1)),
        ("(a AND b) AND c", And((And((T("a"), T("b"))), T("c")))),
        ("#Flood", Field("hashtags", "flood")),
        ("hashtags:#Flood", Field("hashtags", "flood")),
        ("@Bob", Field("mentions", "bob")),
        ("mentions:bob", Field("mentions", "bob")),
        ("author:@NorthfieldCC", Field("author", "northfieldcc")),
        ("lang:EN", Field("lang", "en")),
        ("network:Mastodon", Field("network", "mastodon")),
        ("links:https://www.Example.org/page", Field("links", "www.example.org")),
        ("site:example.org", Field("links", "example.org")),
        ("country:gb", Field("country", "GB")),
        ("followers:>=1000", Followers(">=", 1000)),
        ("followers:<5", Followers("<", 5)),
        ("NEARBY", T("nearby")),
        (
            '(pothole OR "road closed") AND country:GB AND -author:northfieldcc',
            And(
                (
                    Or((T("pothole"), Phrase(("road", "closed")))),
                    Field("country", "GB"),
                    Not(Field("author", "northfieldcc")),
                )
            ),
        ),
    ],
)
def test_parse(query, tree):
    assert parse(query) == tree


@pytest.mark.parametrize(
    ("query", "column", "message"),
    [
        ("", 1, "the query is empty"),
        ("flood AND wind NEAR/ x", 21, "NEAR/ needs a number, as in NEAR/5"),
        ("flood NEAR/x rain", 12, "NEAR/ needs a number, as in NEAR/5"),
        ("a ONEAR/ b", 9, "ONEAR/ needs a number, as in ONEAR/5"),
        ("a NEAR b", 7, "NEAR needs a distance, as in NEAR/5"),
        ("a NEAR/5x b", 9, "NEAR/ takes a number and an optional f, as in NEAR/5"),
        ("a ONEAR/5f b", 10, "ONEAR/ takes a number, as in ONEAR/5"),
        ("a NEAR/2 b NEAR/3 c", 12, "NEAR/3 cannot follow another NEAR; join them with AND"),
        (
            "#a NEAR/2 b",
            4,
            "NEAR/2 joins words, phrases or (... OR ...) groups of them; use AND for the rest",
        ),
        (
            "(a b) NEAR/2 c",
            7,
            "NEAR/2 joins words, phrases or (... OR ...) groups of them; use AND for the rest",
        ),
        ("a AND", 6, "expected a word, phrase or ( after AND, but the query ends"),
        ("AND a", 1, "expected a word, phrase or ( at the start, but found AND"),
        ("a OR OR b", 6, "expected a word, phrase or ( after OR, but found OR"),
        ("()", 2, "expected a word, phrase or ( after (, but found )"),
        ("a NEAR/2", 9, "expected a word, phrase or ( after NEAR/2, but the query ends"),
        ("a NOT", 6, "expected a word, phrase or ( after NOT, but the query ends"),
        ("(a OR b", 1, "this ( is never closed"),
        ("a) b", 2, "this ) has no matching ("),
        ('a "b c', 3, 'this " is never closed'),
        ('"a b"~x', 7, '~ needs a number, as in "bin collection"~3'),
        ('"a"~2', 1, '"..."~n needs at least two words, as in "bin collection"~3'),
        ('""', 1, "this phrase has no letters or digits to look for"),
        ("{BT", 1, "this { is never closed"),
        ("BT}", 3, "this } has no matching {"),
        ("{!!}", 1, "{...} needs letters or digits inside, as in {BT}"),
        ("a - b", 3, "- needs what to leave out right after it, as in -spam"),
        ("™", 1, "'™' has no letters or digits to look for"),
        ("f*", 1, "put at least 2 letters or digits before *, as in flood*"),
        ("fl*od", 3, "* can only end a word, as in flood*"),
        ("?lood", 1, "? cannot start a word, as in organi?ation"),
        ("co-op*", 1, "a wildcard word has only letters, digits, ? and a final *, as in organi?ation"),
        ("# a", 1, "# needs a tag of letters and digits, as in #flood"),
        ("@ a", 1, "@ needs an account name, as in @northfieldcc"),
        ("hashtags:", 10, "hashtags: needs a tag, as in hashtags:flood"),
        ("author:a.b", 8, "author: needs an account name, as in author:northfieldcc"),
        ("lang:english", 6, "lang: needs a two-letter code, as in lang:en"),
        ("country:GBR", 9, "country: needs a two-letter code, as in country:GB"),
        ("network:", 9, "network: needs a network name, as in network:mastodon"),
        ("site:/x", 6, "site: needs a domain, as in site:example.org"),
        ("followers:1000", 11, "followers: needs a comparison and a number, as in followers:>=1000"),
        (
            "colour:red",
            1,
            "unknown field colour:, the fields are hashtags, mentions, author, lang, network, links, site, "
            "country, followers",
        ),
        (
            "NOT a",
            1,
            "the query only says what to leave out; add something it must contain, as in flood NOT test",
        ),
        (
            "a OR -b",
            1,
            "the query only says what to leave out; add something it must contain, as in flood NOT test",
        ),
        (
            "-a -b",
            1,
            "the query only says what to leave out; add something it must contain, as in flood NOT test",
        ),
    ],
)
def test_errors(query, column, message):
    with pytest.raises(QueryError) as caught:
        parse(query)
    assert (caught.value.column, caught.value.message) == (column, message)
    assert str(caught.value) == f"column {column}: {message}"


def test_error_names_the_column_of_the_example_in_the_contract():
    with pytest.raises(QueryError, match=r"^column 18: NEAR/ needs a number, as in NEAR/5$"):
        parse("pothole AND NEAR/ road")
