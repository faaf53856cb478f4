"""The Arena's "Your CSV…" headless: upload, target and task, training, bad files, and ignored link settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pages.test_arena import counter, widget
from tests.support.apptest import button, start

CSV = Path(__file__).resolve().parents[1] / "data" / "csv"


def uploader(at):
    return next(u for u in at.file_uploader if u.key == "arena.upload")


def upload(at, name: str):
    uploader(at).set_value((name, (CSV / name).read_bytes(), "text/csv")).run()
    assert not at.exception, [e.message for e in at.exception]


@pytest.fixture
def arena():
    at = start("arena")
    widget(at, "arena.dataset").set_value("upload").run()
    assert not at.exception
    return at


def test_choosing_your_csv_shows_an_uploader_and_keeps_the_previous_run(arena):
    # the CSV's uploader, beside the ones that open an exported config and weights
    assert sorted(u.key for u in arena.file_uploader) == ["arena.open_config", "arena.open_weights", "arena.upload"]
    assert any("Upload a CSV file" in i.value for i in arena.info)
    assert counter(arena) == "Epoch 0 / 200"  # the moons run stays until a usable file arrives


def test_a_valid_upload_trains_with_the_guessed_task_and_reports_dropped_rows(arena):
    upload(arena, "good_classification.csv")
    assert widget(arena, "arena.upload_target").value == "species"  # the last column by default
    assert next(r for r in arena.radio if r.key == "arena.upload_task").value == "classification"
    assert any("Dropped 3 rows with missing values" in i.value for i in arena.info)
    assert not arena.error
    button(arena, "arena.step").click().run()
    assert not arena.exception
    assert counter(arena) == "Epoch 1 / 200"
    run = arena.session_state["arena.run"]
    assert run.experiment.dataset == "upload"
    assert run.dataset.feature_names == ["length", "width", "colour=blue", "colour=green", "colour=red"]


def test_a_regression_upload_and_a_new_file_resets_the_run(arena):
    upload(arena, "good_regression.csv")
    assert next(r for r in arena.radio if r.key == "arena.upload_task").value == "regression"
    button(arena, "arena.step").click().run()
    assert counter(arena) == "Epoch 1 / 200"
    upload(arena, "good_classification.csv")
    assert counter(arena) == "Epoch 0 / 200"
    assert arena.session_state["arena.run"].dataset.task == "classification"


@pytest.mark.parametrize(("name", "fragment"), [
    ("bad_binary_junk.csv", "binary data"),
    ("bad_one_class.csv", "only one class"),
    ("bad_no_delimiter.csv", "could not find a delimiter"),
    ("bad_too_many_levels.csv", "more than 10 distinct values"),
])
def test_a_bad_file_gets_a_clear_error_and_the_previous_experiment_survives(arena, name, fragment):
    upload(arena, "good_regression.csv")
    button(arena, "arena.step").click().run()
    assert counter(arena) == "Epoch 1 / 200"
    upload(arena, name)
    errors = [e.value for e in arena.error]
    assert len(errors) == 1 and fragment in errors[0], errors
    assert counter(arena) == "Epoch 1 / 200"  # the previous run is still there
    assert arena.session_state["arena.run"].dataset.task == "regression"


def test_a_wrong_task_for_the_target_is_explained(arena):
    upload(arena, "good_regression.csv")
    next(r for r in arena.radio if r.key == "arena.upload_task").set_value("classification").run()
    assert not arena.exception
    assert any("Classes with fewer than 2 rows" in e.value for e in arena.error)


def test_an_invalid_link_setting_is_reported_and_the_valid_ones_apply():
    from streamlit.testing.v1 import AppTest

    from tests.support.apptest import APP, page_path

    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page(page_path("arena"))
    at.query_params.update({"arena.epochs": "banana", "arena.seeds": "3", "arena.depth": "99",
                            "arena.learning_rate": "0.03", "arena.batch_size": "32", "other": "x"})
    at.run()
    assert not at.exception
    assert widget(at, "arena.seeds").value == 3
    assert widget(at, "arena.learning_rate").value == 0.03
    assert widget(at, "arena.epochs").value == 200
    warnings = [w.value for w in at.warning if "link settings" in w.value]
    assert len(warnings) == 1, warnings
    assert "epochs=banana" in warnings[0] and "depth=99" in warnings[0]
    assert "their defaults are used" in warnings[0]
    assert "seeds" not in warnings[0] and "learning_rate" not in warnings[0]
    assert "batch_size" not in warnings[0]  # the default, spelled out: valid, not ignored
