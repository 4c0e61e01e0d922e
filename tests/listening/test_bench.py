from townsquare.listening import bench


def test_bench_small_run_agrees_with_fts5(real_texts, capsys, monkeypatch):
    # A small run of the real benchmark: both engines must produce the same matches.
    monkeypatch.setattr(bench, "load_texts", lambda data_dir: real_texts)
    assert bench.main(["--queries", "200", "--posts", "300"]) == 0
    out = capsys.readouterr().out
    assert "identical: True" in out
    assert "posts/s" in out
    assert "matcher: compiled core" in out or not bench.NATIVE_CORE


def test_bench_python_only_agrees_with_fts5(real_texts, capsys, monkeypatch):
    monkeypatch.setattr(bench, "load_texts", lambda data_dir: real_texts)
    assert bench.main(["--queries", "200", "--posts", "300", "--python-only", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "matcher: Python only" in out and "identical: True" in out


def test_bench_exits_clearly_without_data(monkeypatch, tmp_path):
    monkeypatch.setenv("TOWNSQUARE_SHARED_DATA", str(tmp_path / "missing"))
    try:
        bench.main(["--queries", "10"])
    except SystemExit as exit_:
        assert "shared data folder not found" in str(exit_.code)
    else:
        raise AssertionError("bench ran without data")
