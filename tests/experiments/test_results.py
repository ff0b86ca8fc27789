"""The cached results files: one helper reads and writes them, plain JSON, nothing unpickled."""

import pytest

from lstm_tutorial.experiments import results


def test_load_results_reads_every_cached_json_file():
    names = results.available_results()
    assert {"part1_adding_rnn", "part3_regularisation", "recall_results", "reproduction_table"} <= set(names)
    assert names == sorted(names) and not any(n.endswith(".json") for n in names)
    for n in names:
        assert isinstance(results.load_results(n), dict)
    p1 = results.load_results("part1_adding_rnn")
    assert p1 == results.load_results("part1_adding_rnn.json") and "table" in p1


@pytest.mark.parametrize(
    "bad",
    [
        "nope",
        "corpus",
        "corpus.txt",
        "mlm_weights",
        "../resources/part1_adding_rnn",
        "resources/part1_adding_rnn",
        "/etc/passwd",
        "",
    ],
)
def test_load_results_refuses_names_that_are_not_results_files(bad):
    with pytest.raises(FileNotFoundError, match=r"no cached results named .*available: .*part1_adding_rnn"):
        results.load_results(bad)


def test_load_results_type_check():
    with pytest.raises(TypeError, match="name must be a str"):
        results.load_results(None)


def test_missing_results_name_the_command_that_makes_them():
    with pytest.raises(FileNotFoundError, match=r"run python -m lstm_tutorial.experiments.recall to make it"):
        results.load_results("recall_results_v0", made_by="lstm_tutorial.experiments.recall")


def test_save_results_writes_json_that_loads_back_exactly(tmp_path):
    data = {"runs": [{"k": 5, "acc": 0.125}], "versions": results.versions()}
    path = results.save_results("ignored", data, tmp_path / "r.json")
    import json

    assert json.loads(path.read_text()) == data
    with pytest.raises(TypeError, match="results must be a dict"):
        results.save_results("x", [1, 2], tmp_path / "bad.json")
    with pytest.raises(ValueError, match="plain file name"):
        results.results_path("../escape")


def test_load_checked_refuses_a_file_made_with_another_config():
    from dataclasses import replace

    import pytest

    from lstm_tutorial.experiments import tbptt_echo
    from lstm_tutorial.experiments.results import load_checked

    made_by = "lstm_tutorial.experiments.tbptt_echo"
    assert load_checked(tbptt_echo.RESULTS, tbptt_echo.DEFAULT_CONFIG, made_by=made_by) == tbptt_echo.load()
    other = replace(tbptt_echo.DEFAULT_CONFIG, delay=tbptt_echo.DEFAULT_CONFIG.delay + 1)
    with pytest.raises(ValueError, match="made with another configuration.*rerun python -m lstm_tutorial"):
        load_checked(tbptt_echo.RESULTS, other, made_by=made_by)


def test_script_main_writes_where_out_says_and_reports(tmp_path, capsys):
    import json

    calls = []
    out = tmp_path / "r.json"
    rc = results.script_main(
        "never_written",
        lambda: {"runs": [1, 2]},
        description="d",
        argv=["--out", str(out)],
        setup=lambda: calls.append(1),
    )
    assert rc == 0 and calls == [1]
    assert json.loads(out.read_text()) == {"runs": [1, 2]}
    assert f"wrote {out} in" in capsys.readouterr().err
    assert "never_written" not in results.available_results()  # the shipped resources are untouched
    with pytest.raises(SystemExit):
        results.script_main("x", dict, description="d", argv=["--bogus"])
