"""python -m core.tools.cli: compare and sweep write exactly what direct train_many runs produce; bad arguments exit 2
with a message and no traceback; --help is complete."""

from __future__ import annotations

import io
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.engine.training import train_many
from core.io.config import experiment_from_json
from core.io.history import records_to_frame
from core.io.history_csv import read_history_csv
from core.settings import EXPERIMENT, Experiment
from core.tools.cli import ProgressBar, main

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--dataset", "moons", "--n-samples", "100", "--epochs", "3", "--activations", "relu,tanh", "--seeds", "2",
        "--quiet"]
TINY_EXPERIMENT = Experiment(dataset="moons", n_samples=100, epochs=3, activations=("relu", "tanh"), seeds=2,
                             hidden_layers=(4,))


def direct(experiment: Experiment) -> pd.DataFrame:
    trainer = train_many(experiment.load_data(), experiment.configs())
    return records_to_frame([rec for records in trainer for rec in records])


def without_timing(frame: pd.DataFrame) -> pd.DataFrame:
    """Wall time is the one value that differs between two identical runs."""
    frame = frame.copy()
    frame.loc[frame["metric"] == "epoch_seconds", "value"] = 0.0
    return frame


# --- compare --------------------------------------------------------------------------------------


def test_compare_writes_the_history_of_a_direct_run(tmp_path, capsys):
    out, config = tmp_path / "runs.csv", tmp_path / "config.json"
    assert main(["compare", *TINY, "--hidden", "4", "--out", str(out), "--config-out", str(config)]) == 0
    written = read_history_csv(out.read_text(encoding="utf-8"))
    pd.testing.assert_frame_equal(without_timing(written), without_timing(direct(TINY_EXPERIMENT)), check_exact=True)
    assert experiment_from_json(config.read_text(encoding="utf-8")) == TINY_EXPERIMENT
    stdout = capsys.readouterr().out
    assert "activation" in stdout and "test accuracy" in stdout
    assert stdout.count("ReLU") == 1 and stdout.count("Tanh") == 1


def test_compare_maps_every_flag_onto_the_experiment(tmp_path, capsys):
    config = tmp_path / "config.json"
    args = ["compare", "--dataset", "circles", "--n-samples", "120", "--noise", "0.1", "--test-size", "0.3",
            "--activations", "leaky_relu,maxout", "--hidden", "5,3", "--lr", "0.05", "--epochs", "2",
            "--batch-size", "16", "--optimizer", "adam", "--init", "xavier", "--bias-init", "0.1", "--l2", "0.001",
            "--leaky-alpha", "0.2", "--elu-alpha", "0.5", "--maxout-pieces", "3", "--seeds", "2", "--first-seed", "4",
            "--quiet", "--out", str(tmp_path / "runs.csv"), "--config-out", str(config)]
    assert main(args) == 0
    expected = Experiment(dataset="circles", n_samples=120, noise=0.1, test_size=0.3,
                          activations=("leaky_relu", "maxout"), hidden_layers=(5, 3), learning_rate=0.05, epochs=2,
                          batch_size=16, optimizer="adam", init="xavier", bias_init=0.1, l2=0.001, leaky_alpha=0.2,
                          elu_alpha=0.5, maxout_pieces=3, seeds=2, first_seed=4)
    assert experiment_from_json(config.read_text(encoding="utf-8")) == expected
    written = read_history_csv((tmp_path / "runs.csv").read_text(encoding="utf-8"))
    assert sorted(written["seed"].unique()) == [4, 5] and set(written["activation"]) == {"leaky_relu", "maxout"}
    assert set(written["label"]) == {"Leaky ReLU", "Maxout"}


def test_compare_defaults_are_the_dashboards_defaults():
    from core.tools.cli import build_parser

    args = build_parser().parse_args(["compare", "--out", "x.csv"])
    d = Experiment()
    trained = [s.name for s in EXPERIMENT if not s.view]  # view-only settings have no flag: the CLI draws nothing
    assert {name: getattr(args, name) for name in trained} == {name: getattr(d, name) for name in trained}
    assert set(d.to_dict()) - set(trained) == {s.name for s in EXPERIMENT if s.view}


def test_compare_shows_a_progress_bar_on_stderr(tmp_path, capsys):
    args = [a for a in TINY if a != "--quiet"]
    assert main(["compare", *args, "--hidden", "4", "--out", str(tmp_path / "runs.csv")]) == 0
    captured = capsys.readouterr()
    assert "epochs [" in captured.err and "] 4/4" in captured.err
    assert "epochs [" not in captured.out


def test_progress_bar_draws_only_when_it_grows():
    stream = io.StringIO()
    bar = ProgressBar(1000, "epochs", stream=stream, width=10)
    for done in range(1, 1001):
        bar.update(done)
    bar.close()
    frames = stream.getvalue().split("\r")[1:]
    assert len(frames) <= 12  # one per bar character, the empty bar and the exact final count
    assert frames[-1] == "epochs [##########] 1000/1000\n"
    quiet = io.StringIO()
    ProgressBar(5, "x", stream=quiet, enabled=False).update(5)
    assert quiet.getvalue() == ""


# --- sweep ----------------------------------------------------------------------------------------


def direct_sweep(base: Experiment, cells) -> pd.DataFrame:
    frames = []
    for index, (depth, width, lr) in enumerate(cells):
        experiment = replace(base, hidden_layers=(width,) * depth, learning_rate=lr)
        frame = direct(experiment)
        frame["run"] += index * len(experiment.configs())
        frames.append(frame.assign(depth=depth, width=width, lr=lr))
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize(("jobs", "backend"), [("1", "loky"), ("2", "loky"), ("2", "threading")])
def test_sweep_writes_the_histories_of_direct_runs(tmp_path, capsys, jobs, backend):
    out = tmp_path / "sweep.csv"
    assert main(["sweep", *TINY, "--depths", "1,2", "--widths", "4", "--lrs", "0.1", "--jobs", jobs,
                 "--backend", backend, "--out", str(out)]) == 0
    written = read_history_csv(out.read_text(encoding="utf-8"))
    assert list(written.columns[-3:]) == ["depth", "width", "lr"]
    expected = direct_sweep(TINY_EXPERIMENT, [(1, 4, 0.1), (2, 4, 0.1)])
    pd.testing.assert_frame_equal(without_timing(written), without_timing(expected), check_exact=True)
    assert written.groupby("run")["depth"].nunique().max() == 1  # run numbers are unique over the sweep
    stdout = capsys.readouterr().out
    assert stdout.splitlines()[0].split()[:4] == ["depth", "width", "lr", "activation"]
    assert len(stdout.splitlines()) == 1 + 2 * 2  # header + (cells x activations)


def test_sweep_grid_is_depth_by_width_by_lr(tmp_path, capsys):
    out = tmp_path / "sweep.csv"
    assert main(["sweep", *TINY, "--seeds", "1", "--epochs", "1", "--depths", "1", "--widths", "2,3",
                 "--lrs", "0.1,0.01", "--out", str(out)]) == 0
    written = read_history_csv(out.read_text(encoding="utf-8"))
    cells = written[["depth", "width", "lr"]].drop_duplicates().to_records(index=False).tolist()
    assert cells == [(1, 2, 0.1), (1, 2, 0.01), (1, 3, 0.1), (1, 3, 0.01)]
    assert written["run"].nunique() == 4 * 2
    assert np.array_equal(np.sort(written["run"].unique()), np.arange(8))


# --- bad arguments --------------------------------------------------------------------------------

BAD = {
    "no command": ([], "required"),
    "unknown command": (["train"], "invalid choice"),
    "missing --out": (["compare", "--epochs", "1"], "required: --out"),
    "unknown activation": (["compare", "--activations", "relu,swishy"], "swishy"),
    "duplicate activation": (["compare", "--activations", "relu,relu"], "once"),
    "unknown dataset": (["compare", "--dataset", "mnist"], "dataset must be one of moons"),
    "too many seeds": (["compare", "--seeds", "11"], "seeds"),
    "zero epochs": (["compare", "--epochs", "0"], "epochs"),
    "epochs not a number": (["compare", "--epochs", "ten"], "--epochs"),
    "bad hidden": (["compare", "--hidden", "4,x"], "--hidden"),
    "too wide": (["compare", "--hidden", "1000"], "each from 1 to 512"),
    "negative lr": (["compare", "--lr", "-1"], "learning_rate"),
    "nan alpha": (["compare", "--leaky-alpha", "nan"], "leaky_alpha must be a number from 0 to 10"),
    "few samples": (["compare", "--n-samples", "5"], "n_samples"),
    "unknown optimizer": (["compare", "--optimizer", "rmsprop"], "must be one of sgd, momentum, adam"),
    "missing folder": (["compare", "--out", "/nonexistent-folder/x.csv"], "cannot write"),
    "jobs zero": (["sweep", "--jobs", "0"], "--jobs"),
    "unknown backend": (["sweep", "--backend", "spark"], "invalid choice"),
    "duplicate depth": (["sweep", "--depths", "1,1"], "once"),
    "empty widths": (["sweep", "--widths", ""], "--widths"),
    "lr zero": (["sweep", "--lrs", "0.1,0"], "--lrs"),
    "depth zero": (["sweep", "--depths", "0"], "hidden_layers"),
    "scheduler without dask": (["sweep", "--scheduler", "tcp://x:8786"], "dask only"),
}


@pytest.mark.parametrize(("args", "message"), BAD.values(), ids=BAD.keys())
def test_bad_arguments_exit_2_with_a_message(tmp_path, capsys, args, message):
    if args[:1] in (["compare"], ["sweep"]) and "--out" not in args and message != "required: --out":
        args = [*args, "--out", str(tmp_path / "x.csv")]  # so that only the argument under test is wrong
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "error:" in err and message in err and "Traceback" not in err
    assert not (tmp_path / "x.csv").exists()


# --- help -----------------------------------------------------------------------------------------


def test_module_help_runs_as_a_subprocess():
    result = subprocess.run([sys.executable, "-m", "core.tools.cli", "--help"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "compare" in result.stdout and "sweep" in result.stdout and "examples:" in result.stdout


COMPARE_FLAGS = ["--dataset", "--activations", "--seeds", "--epochs", "--hidden", "--lr", "--batch-size", "--optimizer",
                 "--init", "--bias-init", "--l2", "--n-samples", "--noise", "--test-size", "--first-seed", "--out",
                 "--config-out"]
SWEEP_FLAGS = ["--depths", "--widths", "--lrs", "--jobs", "--backend"]


@pytest.mark.parametrize("command", ["compare", "sweep"])
def test_subcommand_help_is_complete(capsys, command):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    flags = COMPARE_FLAGS if command == "compare" else [f for f in COMPARE_FLAGS if f not in (
        "--hidden", "--lr", "--config-out")] + SWEEP_FLAGS
    for flag in flags:
        assert flag in text, flag
    assert f"example:\n  python -m core.tools.cli {command} " in text
    if command == "sweep":
        assert "from dask.distributed import Client; Client(...)" in text
        assert "ray.util.joblib.register_ray()" in text
