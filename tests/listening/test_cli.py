import io
import json
import subprocess
import sys

from townsquare.listening.cli import main, run_match


def _files(tmp_path):
    queries = tmp_path / "queries.tsv"
    queries.write_text(
        "q2\tflood NEAR/2 warning\nq1\t#storm OR author:northfieldcc\nbad\tflood NEAR/ x\n\nq3\tlang:fr\n",
        encoding="utf-8",
    )
    posts = tmp_path / "posts.jsonl"
    rows = [
        {"id": "p1", "text": "Flood warning issued #Storm", "lang": "en"},
        {"id": "p2", "title": "Update", "text": "nothing here", "author": {"handle": "NorthfieldCC"}},
        {"id": "p3", "text": "bonjour", "lang": "fr"},
    ]
    posts.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return queries, posts


def test_run_match_writes_pairs_and_reports_bad_queries(tmp_path):
    queries, posts = _files(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    code = run_match(str(queries), str(posts), out, err)
    assert out.getvalue() == "p1\tq1\np1\tq2\np2\tq1\np3\tq3\n"
    assert err.getvalue() == "query bad: column 12: NEAR/ needs a number, as in NEAR/5\n"
    assert code == 1


def test_run_match_reports_unreadable_posts(tmp_path):
    queries, posts = _files(tmp_path)
    posts.write_text('{"id": 1, "text": "flood warning"}\nnot json\n', encoding="utf-8")
    queries.write_text("q\tflood\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert run_match(str(queries), str(posts), out, err) == 1
    assert out.getvalue() == "1\tq\n"
    assert err.getvalue().startswith("post line 2: ")


def test_main_writes_out_file(tmp_path):
    queries, posts = _files(tmp_path)
    target = tmp_path / "out.tsv"
    code = main(["match", "--queries", str(queries), "--posts", str(posts), "--out", str(target)])
    assert code == 1
    assert target.read_text(encoding="utf-8").splitlines()[0] == "p1\tq1"


def test_module_entry_point(tmp_path):
    queries, posts = _files(tmp_path)
    queries.write_text("q\twarning\n", encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "townsquare.listening",
            "match",
            "--queries",
            str(queries),
            "--posts",
            str(posts),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "p1\tq\n", "")
