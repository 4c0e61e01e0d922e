"""The contract's meaning of each operator, checked on the reference evaluator, the compiled checks,
the matcher (with and without term statistics) and `match_many` alike."""

import os
import shutil

import pytest
from hypothesis import given
from hypothesis import strategies as st

from townsquare.listening.ast import Not, Term, requires_something
from townsquare.listening.compile import compile_query
from townsquare.listening.matcher import NATIVE_CORE, Matcher
from townsquare.listening.parser import parse
from townsquare.listening.reference import evaluate
from townsquare.listening.tokens import prepare_post

from .strategies import FOLDED, posts, queries, trees

CASES = [
    ("flood", "Flood warning", True),
    ("flood", "flooding", False),
    ('"bin collection"', "the bin collection is late", True),
    ('"bin collection"', "collection bin", False),
    ("don't", "I don't know", True),
    ("flood*", "flooding here", True),
    ("flood*", "a flo", False),
    ("organi?ation", "Organisation and organization", True),
    ("organi?ation", "organiation", False),
    ("{BT}", "call BT now", True),
    ("{BT}", "call bt now", False),
    ("{Black Friday}", "Black Friday deals", True),
    ("flood NEAR/2 warning", "flood x y warning", True),
    ("flood NEAR/2 warning", "flood x y z warning", False),
    ("flood NEAR/2 warning", "warning x y flood", True),
    ("flood NEAR/0f warning", "warning flood", False),
    ("flood ONEAR/1 warning", "flood x warning", True),
    ("flood ONEAR/1 warning", "flood warning", True),
    ("flood ONEAR/0 warning", "flood warning", True),
    ("flood ONEAR/0 warning", "warning flood", False),
    ('"road closed" NEAR/1 flood', "road closed x flood", True),
    ('"road closed" NEAR/1 flood', "flood x road closed", True),
    ('"road closed" NEAR/1 flood', "flood x y road closed", False),
    ("(rain OR storm) NEAR/1 road", "storm on road", True),
    ('"a b c"~2', "a x b c", True),  # FTS5 counts the middle operand as between the outer two
    ('"a b c"~1', "a x b c", False),
    ('"a b c"~1', "c b a", True),
    ('"a b c"~0', "a b c", False),
    ("flood NOT test", "flood test", False),
    ("flood -test", "flood only", True),
    ("flood OR rain", "rain today", True),
    ("a b OR c", "c", True),
    ("#flood", "the #Flood is here", True),
    ("#flood", "the flood is here", False),
    ("flood", "#Flood", True),
    ("@bob", "hi @Bob", True),
    ("site:example.org", "see https://news.example.org/x", True),
    ("site:example.org", "see https://example.org.evil.com/x", False),
    ("example", "see https://example.org/x", False),
]


@pytest.mark.parametrize(("query", "text", "expected"), CASES)
def test_operator_meaning(make_matcher, query, text, expected):
    tree = parse(query)
    post = prepare_post({"id": 1, "text": text})
    assert evaluate(tree, post) is expected
    assert compile_query(tree)(post) is expected
    m = make_matcher()
    m.add("q", tree)
    assert (m.match(post) == {"q"}) is expected
    assert (m.match_many([{"id": 1, "text": text}]) == [{"q"}]) is expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("author:northfieldcc", True),
        ("-author:northfieldcc flood", False),
        ("lang:en network:mastodon", True),
        ("country:GB followers:>=1000", True),
        ("followers:>1200", False),
        ("followers:=1200", True),
        ("country:IE", False),
    ],
)
def test_fields(make_matcher, query, expected):
    post = prepare_post(
        {
            "id": 1,
            "text": "flood",
            "lang": "en",
            "network": "mastodon",
            "author": {"handle": "NorthfieldCC", "followers": 1200, "country": "GB"},
        }  # fmt: skip
    )
    assert evaluate(parse(query), post) is expected
    m = make_matcher()
    m.add(1, query)
    assert (m.match(post) == {1}) is expected


def test_add_remove_replace(make_matcher):
    m = make_matcher()
    m.add("a", "flood")
    m.add("b", "flood* AND rain")
    m.add("c", "#storm")
    post = {"id": 1, "text": "Flooding and rain #storm"}
    assert m.match(post) == {"b", "c"}
    m.replace("b", "drought")
    m.remove("c")
    assert m.match(post) == set()
    assert len(m) == 2 and "c" not in m
    with pytest.raises(KeyError):
        m.remove("c")
    with pytest.raises(ValueError):
        m.add("d", Not(Term("x")))  # an AST that requires nothing


@pytest.mark.skipif(not (os.environ.get("CI") or shutil.which("cc")), reason="no C compiler here")
def test_the_compiled_core_is_built_where_a_compiler_is():
    # The install builds it optionally; where a compiler is at hand, a missing core is a broken build.
    assert NATIVE_CORE


@pytest.mark.skipif(not NATIVE_CORE, reason="the compiled core is not built here")
def test_the_compiled_core_refuses_a_second_match_while_one_runs():
    # Its post buffers are shared by all calls: a match started inside another (here from a query id's
    # __hash__, where another thread could also get in) is refused, never mixed with the first post.
    matcher = Matcher()

    class ReentrantId:
        armed = False

        def __hash__(self):
            if self.armed:
                matcher.match({"id": 2, "text": "rain"})
            return 1

    query_id = ReentrantId()
    matcher.add(query_id, "flood")
    query_id.armed = True
    with pytest.raises(RuntimeError, match="matching another post"):
        matcher.match({"id": 1, "text": "flood"})
    query_id.armed = False
    assert matcher.match({"id": 1, "text": "flood"}) == {query_id}


def test_a_post_never_sees_the_previous_posts_tokens(make_matcher):
    # The compiled core reuses one buffer per post: a phrase running past this post's last token must
    # not find the longer previous post's tokens there.
    m = make_matcher()
    m.add("q", '"road closed now" NEAR/2 flood')
    m.add("p", 'flood* "closed now"')
    previous, post = {"id": 1, "text": "a b c now d"}, {"id": 2, "text": "flood road closed"}
    assert m.match_many([previous, post]) == [set(), set()]
    assert m.match_many([previous, {"id": 3, "text": "flood road closed now"}]) == [set(), {"q", "p"}]


@given(st.lists(queries, min_size=1, max_size=6), st.lists(posts(), min_size=1, max_size=4))
def test_matcher_agrees_with_reference(make_matcher, queries, raw_posts):
    m = make_matcher()
    for i, q in enumerate(queries):
        m.add(i, q)
    prepared = [prepare_post(p) for p in raw_posts]
    expected = [{i for i, q in enumerate(queries) if evaluate(q, p)} for p in prepared]
    assert [m.match(p) for p in prepared] == expected


@given(st.lists(queries, min_size=1, max_size=6), st.lists(posts(), min_size=1, max_size=4))
def test_match_many_agrees_with_reference(make_matcher, queries, raw_posts):
    # match_many over raw dicts (prepared one at a time) gives the answers of each post alone.
    m = make_matcher()
    for i, q in enumerate(queries):
        m.add(i, q)
    expected = [{i for i, q in enumerate(queries) if evaluate(q, prepare_post(p))} for p in raw_posts]
    assert m.match_many(raw_posts) == expected


@given(
    st.lists(queries, min_size=1, max_size=6),
    st.lists(posts(), min_size=1, max_size=4),
    st.dictionaries(st.sampled_from(FOLDED), st.integers(0, 100)),
)
def test_matcher_with_term_statistics_agrees_with_reference(make_matcher, queries, raw_posts, frequency):
    # Statistics change which anchor each query gets (and so which part is left to verify), never the
    # answer.
    m = make_matcher(frequency, 100)
    for i, q in enumerate(queries):
        m.add(i, q)
    prepared = [prepare_post(p) for p in raw_posts]
    expected = [{i for i, q in enumerate(queries) if evaluate(q, p)} for p in prepared]
    assert [m.match(p) for p in prepared] == expected


@given(
    st.lists(
        st.tuples(st.sampled_from(["add", "remove"]), st.integers(0, 4), trees),
        min_size=1,
        max_size=12,
    ),
    st.lists(posts(), min_size=1, max_size=3),
)
def test_add_remove_sequences(make_matcher, operations, raw_posts):
    m = make_matcher()
    live = {}
    for op, qid, tree in operations:
        if op == "add" and requires_something(tree):
            m.add(qid, tree)
            live[qid] = tree
        elif op == "remove" and qid in live:
            m.remove(qid)
            del live[qid]
    for raw in raw_posts:
        post = prepare_post(raw)
        assert m.match(post) == {qid for qid, tree in live.items() if evaluate(tree, post)}
    assert len(m) == len(live)
