"""Every activation keeps one colour, and any two stay apart for normal vision and the two common red-green
deficiencies, measured as people see colour (CIEDE2000 on simulated vision; tests/support/colour.py)."""

from __future__ import annotations

import itertools

import pytest

from core.engine.mlp import HIDDEN_CHOICES
from pages.ui.palette import ACTIVATION_COLORS, CLASS_COLORS, PER_LAYER_COLOR, activation_color, color_scale
from tests.support.colour import DEUTERANOPIA, PROTANOPIA, ciede2000, lab

# ΔE00 of 10 is a clear difference between two line colours side by side; the palette's closest pair is 10.9.
MIN_DIFFERENCE = 10.0
VISION = {"normal": None, "deuteranopia": DEUTERANOPIA, "protanopia": PROTANOPIA}


@pytest.mark.parametrize(("lab1", "lab2", "expected"), [
    # Sharma, Wu & Dalal (2005), the CIEDE2000 test data: pairs 1, 7, 17, 25 and 34.
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082),
])
def test_ciede2000_matches_the_published_test_data(lab1, lab2, expected):
    assert ciede2000(lab1, lab2) == pytest.approx(expected, abs=1e-4)


def test_srgb_to_lab_matches_known_values():
    assert lab("#FFFFFF") == pytest.approx([100.0, 0.0, 0.0], abs=1e-2)
    assert lab("#FF0000") == pytest.approx([53.24, 80.09, 67.20], abs=5e-2)


def test_machado_simulation_keeps_greys_grey():
    """A neutral colour looks the same with every simulated deficiency (each matrix's rows sum to 1)."""
    for matrix in (DEUTERANOPIA, PROTANOPIA):
        assert lab("#777777", matrix) == pytest.approx(lab("#777777"), abs=0.05)


def test_every_activation_has_its_own_colour():
    assert set(ACTIVATION_COLORS) == set(HIDDEN_CHOICES)
    assert len(set(ACTIVATION_COLORS.values())) == len(ACTIVATION_COLORS)
    assert activation_color("relu") == "#D55E00"


@pytest.mark.parametrize("vision", list(VISION))
def test_any_two_activations_stay_apart(vision):
    pairs = {(a, b): ciede2000(lab(ACTIVATION_COLORS[a], VISION[vision]), lab(ACTIVATION_COLORS[b], VISION[vision]))
             for a, b in itertools.combinations(ACTIVATION_COLORS, 2)}
    closest = min(pairs, key=pairs.get)
    assert pairs[closest] >= MIN_DIFFERENCE, f"{closest} only {pairs[closest]:.1f} apart with {vision} vision"


def test_the_two_first_classes_stay_apart_with_every_vision():
    for matrix in VISION.values():
        assert ciede2000(lab(CLASS_COLORS[0], matrix), lab(CLASS_COLORS[1], matrix)) >= MIN_DIFFERENCE


@pytest.mark.parametrize("vision", list(VISION))
def test_a_per_layer_network_has_its_own_colour_apart_from_every_activation(vision):
    assert activation_color("tanh>relu") == activation_color("maxout>sigmoid>relu") == PER_LAYER_COLOR
    closest = min(ciede2000(lab(PER_LAYER_COLOR, VISION[vision]), lab(color, VISION[vision]))
                  for color in ACTIVATION_COLORS.values())
    assert closest >= 16.0
    with pytest.raises(ValueError, match="Unknown activation 'nope'"):
        activation_color("tanh>nope")
    assert color_scale(["relu", "tanh>relu"]).to_dict() == {"domain": ["ReLU", "Tanh → ReLU"],
                                                            "range": ["#D55E00", PER_LAYER_COLOR]}
