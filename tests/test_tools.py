"""The command-line entries of the pure engines, through `townsquare`."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command


def test_match_writes_pairs_and_reports_bad_queries_without_stopping(tmp_path, capsys):
    queries = tmp_path / "queries.tsv"
    queries.write_text('1\tbins OR "bin collection"\n2\tflood* AND NOT grant\n3\tNEAR/\n4\t#roads\n')
    posts = tmp_path / "posts.jsonl"
    posts.write_text(
        "\n".join(
            json.dumps(post)
            for post in [
                {"id": "a", "text": "Bin collection missed on Mill Lane"},
                {"id": "b", "text": "Flooding again, apply for the grant"},
                {"id": "c", "text": "Flooded drains #Roads"},
            ]
        )
    )
    out = tmp_path / "matches.tsv"
    with pytest.raises(SystemExit) as exit_info:
        call_command("match", "--queries", str(queries), "--posts", str(posts), "--out", str(out))
    assert exit_info.value.code == 1  # one query could not be read
    assert sorted(out.read_text().splitlines()) == ["a\t1", "c\t2", "c\t4"]
    assert "query 3: column 6: NEAR/ needs a number, as in NEAR/5" in capsys.readouterr().err
