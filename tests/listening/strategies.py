"""Hypothesis strategies: query trees the parser can produce, and posts over the same small vocabulary."""

from __future__ import annotations

from hypothesis import strategies as st

from townsquare.listening.ast import (
    And,
    Exact,
    Field,
    Followers,
    Near,
    Not,
    Or,
    Phrase,
    Term,
    Wildcard,
    requires_something,
)

# Non-ASCII words too: "café" folds to an ASCII token; "東京" stays several bytes long in UTF-8.
WORDS = ["flood", "warning", "bin", "collection", "road", "closed", "river", "rain", "a1", "café", "東京"]
FOLDED = ["flood", "warning", "bin", "collection", "road", "closed", "river", "rain", "a1", "cafe", "東京"]
CASED = ["BT", "Flood", "NHS", "Road"]
TAGS = ["flood", "storm"]
HANDLES = ["northfieldcc", "bob"]
DOMAINS = ["example.org", "news.example.org", "gov.uk"]

terms = st.sampled_from(FOLDED).map(Term)
phrases = st.lists(st.sampled_from(FOLDED), min_size=2, max_size=3).map(lambda ws: Phrase(tuple(ws)))
prefixes = (
    st.sampled_from(FOLDED)
    .filter(lambda w: len(w) >= 2)
    .flatmap(lambda w: st.integers(2, len(w)).map(lambda n: Wildcard(w[:n] + "*")))
)
patterns = st.sampled_from([w for w in FOLDED if len(w) >= 3]).flatmap(
    lambda w: st.integers(1, len(w) - 1).map(lambda i: Wildcard(w[:i] + "?" + w[i + 1 :]))
)
exacts = st.lists(st.sampled_from(CASED), min_size=1, max_size=2).map(lambda ws: Exact(tuple(ws)))
near_atoms = st.one_of(terms, phrases, prefixes, patterns, exacts)
near_operands = st.one_of(near_atoms, st.lists(near_atoms, min_size=2, max_size=3).map(lambda cs: Or(tuple(cs))))
nears = st.one_of(
    st.builds(lambda a, b, d, o: Near((a, b), d, o), near_operands, near_operands, st.integers(0, 4), st.booleans()),
    st.builds(
        lambda ops, d: Near(tuple(ops), d),
        st.lists(st.one_of(terms, phrases), min_size=3, max_size=3),
        st.integers(0, 4),
    ),
)
fields = st.one_of(
    st.sampled_from(TAGS).map(lambda v: Field("hashtags", v)),
    st.sampled_from(HANDLES).map(lambda v: Field("mentions", v)),
    st.sampled_from(HANDLES).map(lambda v: Field("author", v)),
    st.sampled_from(["en", "fr"]).map(lambda v: Field("lang", v)),
    st.sampled_from(["mastodon", "bluesky"]).map(lambda v: Field("network", v)),
    st.sampled_from(["GB", "IE"]).map(lambda v: Field("country", v)),
    st.sampled_from(DOMAINS + ["org"]).map(lambda v: Field("links", v)),
    st.builds(Followers, st.sampled_from([">=", "<=", ">", "<", "="]), st.sampled_from([0, 10, 1000])),
)
leaves = st.one_of(terms, phrases, prefixes, patterns, exacts, nears, fields)
trees = st.recursive(
    leaves,
    lambda inner: st.one_of(
        inner.map(Not),
        st.lists(inner, min_size=2, max_size=3).map(lambda cs: And(tuple(cs))),
        st.lists(inner, min_size=2, max_size=3).map(lambda cs: Or(tuple(cs))),
    ),
    max_leaves=6,
)


@st.composite
def posts(draw: st.DrawFn, post_id: int = 0) -> dict:
    words = draw(st.lists(st.sampled_from(WORDS + CASED + ["#flood", "#storm", "@bob", "the", "-"]), max_size=12))
    text = " ".join(words)
    if draw(st.booleans()):
        text += " https://" + draw(st.sampled_from(DOMAINS)) + "/x"
    return {
        "id": post_id,
        "text": text,
        "title": draw(st.sampled_from(["", "Road closed", "Flood"])),
        "author": draw(
            st.one_of(
                st.none(),
                st.sampled_from(HANDLES),
                st.fixed_dictionaries(
                    {
                        "handle": st.sampled_from(HANDLES),
                        "followers": st.sampled_from([5, 10, 2000]),
                        "country": st.sampled_from(["gb", "ie"]),
                    }  # fmt: skip
                ),
            )
        ),
        "lang": draw(st.sampled_from([None, "en", "fr"])),
        "network": draw(st.sampled_from([None, "mastodon", "bluesky"])),
    }


# Trees the parser accepts as whole queries: ones requiring nothing get a required word beside them.
queries = trees.map(lambda t: t if requires_something(t) else And((Term("flood"), t)))
