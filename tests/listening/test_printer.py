import pytest
from hypothesis import given
from hypothesis import strategies as st

from townsquare.listening.ast import Near, Term
from townsquare.listening.parser import QueryError, parse
from townsquare.listening.printer import to_text

from .strategies import queries


@pytest.mark.parametrize(
    ("query", "canonical"),
    [
        ("a b", "a AND b"),
        ("a -b", "a AND NOT b"),
        ("a b OR c", "a AND b OR c"),
        ("a (b OR c)", "a AND (b OR c)"),
        ("(a AND b) AND c", "(a AND b) AND c"),
        ("a ONEAR/2 b", "a NEAR/2f b"),
        ('"a b"~3', "a NEAR/3 b"),
        ('"a b c"~3', '"a b c"~3'),
        ('"don\'t stop go"~1', '"don-t stop go"~1'),
        ("NOT (a OR b) c", "NOT (a OR b) AND c"),
        ("#Flood site:WWW.example.org followers:>9", "#flood AND links:www.example.org AND followers:>9"),
        ("{BT} organi?ation flood*", "{BT} AND organi?ation AND flood*"),
    ],
)
def test_canonical_text(query, canonical):
    assert to_text(parse(query)) == canonical
    assert parse(canonical) == parse(query)


@given(queries)
def test_round_trip(tree):
    assert parse(to_text(tree)) == tree


@given(st.text(alphabet=st.sampled_from('ab AND OR NOT NEAR/1f ONEAR/ "~{}()-*?#@:=<>x é™\t'), max_size=30))
def test_parser_raises_only_query_error(text):
    try:
        tree = parse(text)
    except QueryError as error:
        assert 1 <= error.column <= len(text) + 1
    else:
        assert parse(to_text(tree)) == tree


@given(st.text(max_size=20))
def test_parser_on_any_text(text):
    try:
        tree = parse(text)
    except QueryError as error:
        assert error.column >= 1
    else:
        assert parse(to_text(tree)) == tree


def test_printer_refuses_unprintable_near():
    with pytest.raises(ValueError):
        to_text(Near((Term("a"), Near((Term("b"), Term("c")), 1), Term("d")), 2))
