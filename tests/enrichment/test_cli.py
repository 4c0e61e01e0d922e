import json
import subprocess
import sys

from townsquare.enrichment.cli import post_text, run_classify


def test_round_trip_keeps_fields_and_reports_bad_lines(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    dst = tmp_path / "out.jsonl"
    src.write_text(
        json.dumps({"id": 1, "text": "@delta you lost my bag again. Still waiting for a refund, terrible service"})
        + "\n{not json\n"
        + "\n"
        + json.dumps([1, 2])
        + "\n"
        + json.dumps({"id": 2, "title": "Great news", "text": "The new library opens today!"})
        + "\n",
        encoding="utf-8",
    )
    assert run_classify("complaint", src, dst) == 1
    rows = [json.loads(line) for line in dst.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == [1, 2]
    assert rows[0]["label"] == "complaint" and rows[1]["label"] == "not_complaint"
    assert all(0.0 <= r["score"] <= 1.0 for r in rows)
    err = capsys.readouterr().err
    assert "line 2: invalid JSON" in err
    assert "line 4: expected a JSON object" in err
    assert "2 posts labelled, 2 lines rejected" in err


def test_clean_file_returns_zero(tmp_path):
    src = tmp_path / "in.jsonl"
    post = {"text": "bonjour tout le monde, il fait beau aujourd'hui"}
    src.write_text(json.dumps(post) + "\n", encoding="utf-8")
    assert run_classify("language", src, tmp_path / "out.jsonl") == 0
    assert json.loads((tmp_path / "out.jsonl").read_text(encoding="utf-8"))["label"] == "fr"


def test_title_is_read_before_text():
    assert post_text({"title": "Hello", "text": "world"}) == "Hello\nworld"
    assert post_text({"text": "only"}) == "only"
    assert post_text({}) == ""


def test_module_entry_point(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"text": "I love this so much!"}) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    cmd = [sys.executable, "-m", "townsquare.enrichment", "classify", "--task", "sentiment"]
    done = subprocess.run([*cmd, "--in", str(src), "--out", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["label"] == "positive"
