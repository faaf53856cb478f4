"""The activation registry held against independent references.

Closed forms come from Python's ``math`` module in float64, derivatives from central finite
differences of those closed forms; nothing here re-calls the formula the module uses.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.engine.activations import ACTIVATIONS, HARD_LEFT, NOT_SATURATING, SOFT_BOTH, SOFT_LEFT, get_activation

SQRT2 = math.sqrt(2.0)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _softplus(x: float) -> float:
    # log(1 + e^x) = max(x, 0) + log1p(e^-|x|)
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _elu(alpha: float):
    return lambda x: x if x > 0 else alpha * math.expm1(x)


def _leaky(alpha: float):
    return lambda x: x if x > 0 else alpha * x


REFERENCES = {
    "relu": lambda x: max(x, 0.0),
    "leaky_relu": _leaky(0.01),
    "sigmoid": _sigmoid,
    "tanh": math.tanh,
    "linear": lambda x: x,
    "elu": _elu(1.0),
    "gelu": lambda x: 0.5 * x * math.erfc(-x / SQRT2),
    "silu": lambda x: x * _sigmoid(x),
    "softplus": _softplus,
}

# (id, entry, reference, points where the derivative has a kink)
VARIANTS = [(name, act, REFERENCES[name], {0.0} if name in ("relu", "leaky_relu") else set())
            for name, act in ACTIVATIONS.items()]
VARIANTS += [
    ("leaky_relu(alpha=0.2)", get_activation("leaky_relu", alpha=0.2), _leaky(0.2), {0.0}),
    ("elu(alpha=0.5)", get_activation("elu", alpha=0.5), _elu(0.5), {0.0}),
    ("elu(alpha=2)", get_activation("elu", alpha=2.0), _elu(2.0), {0.0}),
]
VARIANT_IDS = [v[0] for v in VARIANTS]
ALL_ENTRIES = [v[1] for v in VARIANTS]

POINTS = [-10.0, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 10.0]

EXTREMES = np.concatenate(
    [np.linspace(-1e4, 1e4, 20001), [1e4, -1e4, 88.0, -88.0, 89.0, -89.0, 710.0, -710.0]]
)


def test_registry_has_the_contract_names():
    assert set(ACTIVATIONS) == {"relu", "leaky_relu", "sigmoid", "tanh", "linear", "elu", "gelu", "silu",
                                "softplus"}
    for name, act in ACTIVATIONS.items():
        assert act.name == name


# --- forward and derivative against closed forms -------------------------------------------------


@pytest.mark.parametrize(("name", "act", "ref", "kinks"), VARIANTS, ids=VARIANT_IDS)
def test_forward_matches_closed_form(name, act, ref, kinks):
    x = np.array(POINTS)
    expected = np.array([ref(p) for p in POINTS])
    np.testing.assert_allclose(act.forward(x), expected, rtol=1e-12, atol=1e-300)


def test_gelu_matches_erf_form_where_erf_does_not_cancel():
    gelu = ACTIVATIONS["gelu"]
    for p in POINTS:
        erf_form = 0.5 * p * (1.0 + math.erf(p / SQRT2))
        assert gelu.forward(np.float64(p)) == pytest.approx(erf_form, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("x", [-6.0, -8.0])
def test_gelu_float32_far_left_does_not_cancel(x):
    # 1 + erf(x / sqrt 2) is 0 in float32 here; the true value is tiny but non-zero.
    expected = 0.5 * x * math.erfc(-x / SQRT2)
    got = ACTIVATIONS["gelu"].forward(np.array([x], dtype=np.float32))
    assert got.dtype == np.float32
    assert got[0] != 0.0
    np.testing.assert_allclose(got, [expected], rtol=1e-5)


def _central_difference(f, x: float, h: float = 1e-6) -> float:
    return (f(x + h) - f(x - h)) / (2 * h)


@pytest.mark.parametrize(("name", "act", "ref", "kinks"), VARIANTS, ids=VARIANT_IDS)
def test_derivative_matches_finite_differences(name, act, ref, kinks):
    points = [p for p in [*POINTS, -7.3, -2.2, -0.1, 0.1, 1.7, 5.5] if p not in kinks]
    expected = np.array([_central_difference(ref, p) for p in points])
    got = act.derivative(np.array(points, dtype=np.float64))
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8)


def test_relu_derivative_at_zero_is_zero():
    assert ACTIVATIONS["relu"].derivative(np.array([0.0]))[0] == 0.0
    assert ACTIVATIONS["relu"].derivative(np.array([0.0], dtype=np.float32))[0] == 0.0


def test_leaky_relu_derivative_at_zero_is_alpha():
    assert ACTIVATIONS["leaky_relu"].derivative(np.array([0.0]))[0] == 0.01
    assert get_activation("leaky_relu", alpha=0.2).derivative(np.array([0.0]))[0] == 0.2


@pytest.mark.parametrize("act", ALL_ENTRIES, ids=VARIANT_IDS)
def test_derivative_at_zero_fact_matches_derivative(act):
    assert float(act.derivative(np.array([0.0]))[0]) == act.derivative_at_zero


# --- numerics: no warnings, dtype ----------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("act", ALL_ENTRIES, ids=VARIANT_IDS)
def test_no_floating_point_errors_up_to_1e4(act, dtype):
    x = EXTREMES.astype(dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = act.forward(x)
        d = act.derivative(x)
        g = act.derivative_given_output(x, y)
    for arr in (y, d, g):
        assert arr.dtype == dtype
        assert np.isfinite(arr).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("act", ALL_ENTRIES, ids=VARIANT_IDS)
def test_dtype_preserved(act, dtype):
    x = np.linspace(-3, 3, 13, dtype=dtype)
    assert act.forward(x).dtype == dtype
    assert act.derivative(x).dtype == dtype
    assert act.derivative_given_output(x, act.forward(x)).dtype == dtype
    assert act.forward(x).shape == x.shape


@pytest.mark.parametrize("act", ALL_ENTRIES, ids=VARIANT_IDS)
def test_integer_input_promoted_to_float64(act):
    x = np.array([-3, -1, 0, 2, 5])
    y = act.forward(x)
    assert y.dtype == np.float64
    assert act.derivative(x).dtype == np.float64
    np.testing.assert_allclose(y, act.forward(x.astype(np.float64)))


@pytest.mark.parametrize("act", ALL_ENTRIES, ids=VARIANT_IDS)
def test_forward_does_not_modify_its_input(act):
    x = np.linspace(-3, 3, 7)
    before = x.copy()
    act.forward(x)
    act.derivative(x)
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("act", ALL_ENTRIES, ids=VARIANT_IDS)
def test_derivative_given_output_equals_derivative(act, dtype):
    x = np.concatenate([np.linspace(-20, 20, 4001), [0.0, -88.0, 88.0]]).astype(dtype)
    rtol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(act.derivative_given_output(x, act.forward(x)), act.derivative(x),
                               rtol=rtol, atol=0)


# --- the facts the Explorer shows ----------------------------------------------------------------


def test_output_range_strings():
    assert ACTIVATIONS["sigmoid"].output_range == "(0, 1)"
    assert ACTIVATIONS["tanh"].output_range == "(\u22121, 1)"
    assert ACTIVATIONS["relu"].output_range == "[0, \u221e)"


def test_ranges_hold_numerically_where_float64_can_show_them():
    # Beyond about |x| = 37 sigmoid rounds to exactly 0 or 1 in float64, so stay inside that.
    x = np.linspace(-30, 30, 6001)
    s = ACTIVATIONS["sigmoid"].forward(x)
    assert (s > 0).all() and (s < 1).all()
    t = ACTIVATIONS["tanh"].forward(np.linspace(-15, 15, 3001))
    assert (t > -1).all() and (t < 1).all()
    r = ACTIVATIONS["relu"].forward(np.linspace(-5, 5, 1001))
    assert (r >= 0).all() and r.min() == 0.0


def test_sigmoid_derivative_peaks_at_a_quarter_at_zero():
    x = np.linspace(-8, 8, 160001)  # includes 0 exactly
    d = ACTIVATIONS["sigmoid"].derivative(x)
    assert d.max() == 0.25
    assert x[d.argmax()] == 0.0
    assert (d <= 0.25).all()


def test_zero_centred_facts():
    assert ACTIVATIONS["tanh"].zero_centred is True
    assert ACTIVATIONS["linear"].zero_centred is True
    assert ACTIVATIONS["sigmoid"].zero_centred is False
    assert ACTIVATIONS["relu"].zero_centred is False


@pytest.mark.parametrize("act", ALL_ENTRIES, ids=VARIANT_IDS)
def test_monotonic_flag_matches_grid(act):
    x = np.linspace(-10, 10, 20001)
    increasing = bool((np.diff(act.forward(x)) >= 0).all())
    assert act.monotonic == increasing


def test_gelu_and_silu_have_a_decreasing_stretch():
    x = np.linspace(-4, 0, 4001)
    for name in ("gelu", "silu"):
        assert (np.diff(ACTIVATIONS[name].forward(x)) < 0).any(), name
        assert ACTIVATIONS[name].monotonic is False


@pytest.mark.parametrize("act", ALL_ENTRIES, ids=VARIANT_IDS)
def test_saturation_claims(act):
    """Hard saturation: f′ is exactly 0 on that side from a finite x on; soft: f′ only tends to 0 (Gulcehre et al.
    2016). Checked at x = ±10 and over the whole left half-line for the hard kind."""
    claim = act.saturating
    left = abs(float(act.derivative(np.array([-10.0]))[0]))
    right = abs(float(act.derivative(np.array([10.0]))[0]))
    if claim == SOFT_BOTH:
        assert 0 < left < 1e-3 and 0 < right < 1e-3
    elif claim == SOFT_LEFT:
        assert 0 < left < 1e-3 and right > 0.5
    elif claim == HARD_LEFT:
        assert act.name == "relu"
        assert (act.derivative(-np.logspace(-8, 4, 200)) == 0).all() and right == 1.0
    else:
        assert claim == NOT_SATURATING
        assert left >= 1e-3 and right >= 1e-3


def test_saturating_facts_of_the_classics():
    assert ACTIVATIONS["sigmoid"].saturating == ACTIVATIONS["tanh"].saturating == SOFT_BOTH
    assert ACTIVATIONS["relu"].saturating == HARD_LEFT
    assert {ACTIVATIONS[n].saturating for n in ("elu", "gelu", "silu", "softplus")} == {SOFT_LEFT}
    assert ACTIVATIONS["leaky_relu"].saturating == ACTIVATIONS["linear"].saturating == NOT_SATURATING


@pytest.mark.parametrize("act", ALL_ENTRIES, ids=VARIANT_IDS)
def test_formula_and_label_present(act):
    for text in (act.formula, act.label, act.derivative_formula):
        assert isinstance(text, str) and text.strip()
    # LaTeX that st.latex can render has balanced braces.
    assert act.formula.count("{") == act.formula.count("}")
    assert act.derivative_formula.count("{") == act.derivative_formula.count("}")


# --- get_activation ------------------------------------------------------------------------------


def test_unknown_name_lists_valid_choices():
    with pytest.raises(ValueError, match="relu") as excinfo:
        get_activation("swishy")
    message = str(excinfo.value)
    for name in ACTIVATIONS:
        assert name in message


@pytest.mark.parametrize(("name", "params"), [("relu", {"alpha": 0.1}), ("leaky_relu", {"beta": 1.0}),
                                               ("sigmoid", {"alpha": 1.0})])
def test_unknown_parameter_raises(name, params):
    with pytest.raises(ValueError):
        get_activation(name, **params)


def test_leaky_relu_alpha_is_bound():
    act = get_activation("leaky_relu", alpha=0.2)
    assert float(act.forward(np.array([-1.0]))[0]) == -0.2
    assert float(act.derivative(np.array([-1.0]))[0]) == 0.2
    # the registry entry itself is untouched
    assert ACTIVATIONS["leaky_relu"].params["alpha"] == 0.01


def test_default_alphas():
    assert float(get_activation("leaky_relu").forward(np.array([-1.0]))[0]) == -0.01
    assert float(ACTIVATIONS["leaky_relu"].forward(np.array([-1.0]))[0]) == -0.01
    assert ACTIVATIONS["elu"].params["alpha"] == 1.0
    assert float(get_activation("elu").forward(np.array([-1.0]))[0]) == pytest.approx(math.expm1(-1.0),
                                                                                       rel=1e-15)


def test_elu_alpha_is_bound():
    act = get_activation("elu", alpha=0.5)
    assert float(act.forward(np.array([-2.0]))[0]) == pytest.approx(0.5 * math.expm1(-2.0), rel=1e-15)
    assert act.derivative_at_zero == 0.5
    assert "0.5" in act.output_range


@pytest.mark.parametrize("name", ["leaky_relu", "elu"])
@pytest.mark.parametrize("alpha", [-0.1, float("nan"), float("inf")])
def test_bad_alpha_rejected(name, alpha):
    with pytest.raises(ValueError):
        get_activation(name, alpha=alpha)
