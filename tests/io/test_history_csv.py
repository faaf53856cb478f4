"""core.io.history_csv: exact round trips of the tidy history and strict refusal of malformed CSV."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.engine.limits import MAX_HISTORY_COLUMNS
from core.engine.live import LiveRun
from core.engine.training import TrainConfig
from core.io.history import records_to_frame
from core.io.history_csv import history_csv, read_history_csv
from core.settings import Experiment
from tests.io.conftest import EPOCHS, flat

# --- history CSV ----------------------------------------------------------------------------------


def test_history_round_trips_exactly_with_dtypes(history):
    assert history["diverged"].any() and history["value"].isna().any()
    text = history_csv(history)
    assert text.splitlines()[0] == "epoch,run,activation,label,seed,layer,metric,value,diverged"
    back = read_history_csv(text)
    pd.testing.assert_frame_equal(back, history, check_exact=True)
    assert back["epoch"].dtype == np.int64 and back["diverged"].dtype == bool and back["activation"].dtype == object


def test_history_floats_are_written_at_full_precision(history):
    text = history_csv(history)
    finite = history["value"].dropna()
    assert any(repr(float(v)) in text for v in finite if len(repr(float(v))) > 12)
    assert np.array_equal(read_history_csv(text)["value"].to_numpy(), history["value"].to_numpy(), equal_nan=True)


def test_regression_and_live_histories_round_trip(sine):
    configs = [TrainConfig(activation="relu", hidden_layers=(3,), epochs=EPOCHS, seed=0),
               TrainConfig(activation=("tanh", "relu"), hidden_layers=(3, 2), epochs=EPOCHS, seed=1)]
    frame = records_to_frame(flat(sine, configs))
    assert "test_accuracy" not in set(frame["metric"])
    assert "tanh>relu" in set(frame["activation"]) and "Tanh → ReLU" in set(frame["label"])
    pd.testing.assert_frame_equal(read_history_csv(history_csv(frame)), frame, check_exact=True)
    live = LiveRun(Experiment(n_samples=60, epochs=2, hidden_layers=(3,)))
    live.advance(max_epochs=2)
    pd.testing.assert_frame_equal(read_history_csv(history_csv(live.history())), live.history(), check_exact=True)


def test_extra_columns_and_empty_frames_round_trip(history):
    swept = history.assign(depth=2, width=np.int64(5), lr=0.1)
    pd.testing.assert_frame_equal(read_history_csv(history_csv(swept)), swept, check_exact=True)
    empty = records_to_frame([])
    pd.testing.assert_frame_equal(read_history_csv(history_csv(empty)), empty)


@pytest.mark.parametrize("text", [
    "",
    "a,b\n1,2\n",
    "epoch,run,activation,seed,layer,metric,value\n0,0,ReLU,0,0,test_loss,1.0\n",
    "epoch,run,activation,seed,layer,metric,value,diverged\nx,0,ReLU,0,0,test_loss,1.0,False\n",
    "epoch,run,activation,seed,layer,metric,value,diverged\n0.5,0,ReLU,0,0,test_loss,1.0,False\n",
    "epoch,run,activation,seed,layer,metric,value,diverged\n0,0,ReLU,0,0,test_loss,one,False\n",
    "epoch,run,activation,seed,layer,metric,value,diverged\n0,0,ReLU,0,0,test_loss,1.0,maybe\n",
    "epoch,run,activation,seed,layer,metric,value,diverged\n0,0,ReLU,0,0,test_loss,,False\n",
    b"\xff\xfe\x00",
])
def test_malformed_history_csv_raises_value_error(text):
    with pytest.raises(ValueError):
        read_history_csv(text)


HEADER = "epoch,run,activation,label,seed,layer,metric,value,diverged"
ROW = "0,0,relu,ReLU,0,0,test_loss,1.0,False"


def test_extra_columns_are_capped_before_pandas_builds_them(monkeypatch):
    import core.io.history_csv as history_io

    at_cap = ",".join([HEADER, *(f"x{i}" for i in range(MAX_HISTORY_COLUMNS - 9))])
    row = ",".join([ROW, *("1" for _ in range(MAX_HISTORY_COLUMNS - 9))])
    assert read_history_csv(f"{at_cap}\n{row}\n").shape == (1, MAX_HISTORY_COLUMNS)

    def must_not_parse(*args, **kwargs):
        raise AssertionError("pandas parsed a history CSV over the column cap")

    monkeypatch.setattr(history_io.pd, "read_csv", must_not_parse)
    with pytest.raises(ValueError, match=f"{MAX_HISTORY_COLUMNS + 1} columns; the limit is {MAX_HISTORY_COLUMNS}"):
        read_history_csv(f"{at_cap},one_more\n{row},1\n")
    with pytest.raises(ValueError, match="600,000 columns"):
        read_history_csv("c," * 599_999 + "c\n")
    # A first data row wider than its header: pandas would make the extra fields an index, column by column.
    with pytest.raises(ValueError, match="Line 2 has 600,000 fields but the header has 9"):
        read_history_csv(f"{HEADER}\n" + "0," * 599_999 + "0\n")


def test_history_csv_needs_a_history_frame():
    with pytest.raises(ValueError, match="missing column"):
        history_csv(pd.DataFrame({"epoch": [0]}))
