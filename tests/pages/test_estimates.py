"""Time estimates and progress on the pages (AppTest), with the engine's rate injected: which settings get an
estimate is then arithmetic (core.engine.pace), not this machine's speed."""

import pytest

from core.engine.data import DATASETS
from core.engine.pace import SHOW_ABOVE_SECONDS, training_seconds
from pages.ui import estimate
from pages.ui.formats import seconds as duration
from tests.support.apptest import start

RATE = 1e10  # work per second, about this 2-core server's


@pytest.fixture
def rate(monkeypatch):
    """Inject the engine's rate; returns a setter for tests that want another."""
    def set_rate(value: float) -> None:
        monkeypatch.setattr(estimate, "engine_rate", lambda dtype="float32": value)
    set_rate(RATE)
    return set_rate


def estimates(at) -> list[str]:
    return [c.value.removeprefix(":material/schedule: ") for c in at.caption if ":material/schedule:" in c.value]


def expected_run(at, key: str) -> str:
    run = at.session_state[key]
    left = training_seconds(run.dataset, run.configs, RATE, epochs=run.epochs - run.epoch, at_init=False)
    assert left > SHOW_ABOVE_SECONDS
    return f"About {duration(left)} to train"


HEAVY_ARENA = {"arena.dataset": DATASETS["digits"].label, "arena.seeds": "5", "arena.epochs": "2000",
               "arena.layers": ["64", "64"]}


def test_the_arena_default_gets_no_estimate(rate):
    at = start("arena")
    assert not at.exception and estimates(at) == []


def test_a_heavy_arena_run_gets_its_estimate_beside_play(rate):
    at = start("arena", HEAVY_ARENA)
    assert not at.exception
    assert estimates(at) == [expected_run(at, "arena.run")]
    at.button(key="arena.step").click().run()  # paused after a Step: the time to finish
    assert estimates(at)[0].startswith("About ") and estimates(at)[0].endswith(" to finish")


def test_the_neurons_page_estimates_a_long_run_only(rate):
    at = start("neurons")
    assert not at.exception and estimates(at) == []
    heavy = start("neurons", {"neurons.epochs": "2000", "neurons.layers": ["128", "128"],
                              "neurons.dataset": DATASETS["digits"].label})
    assert not heavy.exception
    assert estimates(heavy) == [expected_run(heavy, "neurons.run")]


def test_gradient_flow_train_shows_progress_and_estimates_only_a_slow_train(rate):
    at = start("gradient_flow")
    assert estimates(at) == []  # the default Train at this server's rate: well under 5 s
    at.button(key="flow.train").click().run()
    assert not at.exception
    [bar] = at.get("progress")
    assert bar.proto.value == 100
    assert bar.proto.text.startswith("Trained 3 networks for 30 epochs in ")
    rate(RATE / 100)  # a server 100 times slower
    slow = start("gradient_flow")
    [text] = estimates(slow)
    assert text.startswith("About ") and text.endswith(" to train")


def test_work_estimates_are_worded_from_the_rate(rate):
    assert estimate.work_estimate(RATE * SHOW_ABOVE_SECONDS) is None
    assert estimate.work_estimate(RATE * 12) == "About 12 s to train"
    assert estimate.work_estimate(RATE * 90, verb="draw") == "About 1 min 30 s to draw"
