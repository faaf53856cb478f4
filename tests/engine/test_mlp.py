"""The network held against independent references: finite differences, hand-written losses,
hand-written maxout, and matrix products for linear nets."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.datasets import make_moons
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from core.engine.activations import ACTIVATIONS
from core.engine.mlp import MLP, softmax

N_CLASSES = 3
N_OUT_REGRESSION = 2


def _data(task: str, n: int = 7, n_in: int = 3, seed: int = 1):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_in))
    if task == "classification":
        y = np.arange(n) % N_CLASSES  # every class present
        rng.shuffle(y)
    else:
        y = rng.standard_normal((n, N_OUT_REGRESSION))
    return X, y


def _n_out(task: str) -> int:
    return N_CLASSES if task == "classification" else N_OUT_REGRESSION


def _numerical_gradients(net: MLP, X, y, l2: float, h: float = 1e-6):
    """Central differences of net.loss for every entry of every weight and bias."""
    grads = []
    for param in [*net.weights, *net.biases]:
        grad = np.zeros_like(param)
        for idx in np.ndindex(param.shape):
            original = param[idx]
            param[idx] = original + h
            plus = net.loss(X, y, l2)
            param[idx] = original - h
            minus = net.loss(X, y, l2)
            param[idx] = original
            grad[idx] = (plus - minus) / (2 * h)
        grads.append(grad)
    return grads


def _assert_gradients_match(net: MLP, X, y, l2: float):
    _, grad_w, grad_b = net.loss_and_gradients(X, y, l2)
    analytic = [*grad_w, *grad_b]
    numerical = _numerical_gradients(net, X, y, l2)
    assert len(analytic) == len(numerical)
    for i, (a, n) in enumerate(zip(analytic, numerical, strict=True)):
        assert a.shape == n.shape, i
        scale = np.linalg.norm(a) + np.linalg.norm(n)
        rel = np.linalg.norm(a - n) / max(scale, 1e-12)
        assert rel < 1e-6, f"parameter {i}: relative error {rel:.2e}"
        np.testing.assert_allclose(a, n, rtol=1e-4, atol=1e-8)


# --- gradients vs central finite differences ------------------------------------------------------

GRAD_CASES = [(name, {}, [3, 5, 4]) for name in ACTIVATIONS]
GRAD_CASES += [
    ("leaky_relu", {"alpha": 0.2}, [3, 5, 4]),
    ("elu", {"alpha": 0.5}, [3, 5, 4]),
    ("maxout", {"maxout_pieces": 2}, [3, 5, 4]),
    ("maxout", {"maxout_pieces": 3}, [3, 5, 4]),
    (["tanh", "relu", "maxout"], {}, [3, 5, 4, 4]),
    (["sigmoid", "gelu", "softplus"], {}, [3, 4, 5, 4]),
]
GRAD_IDS = [
    ("+".join(a) if isinstance(a, list) else a) + "".join(f"-{k}={v}" for k, v in p.items())
    for a, p, _ in GRAD_CASES
]


@pytest.mark.parametrize("l2", [0.0, 0.1])
@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize(("activation", "params", "sizes"), GRAD_CASES, ids=GRAD_IDS)
def test_gradients_match_finite_differences(activation, params, sizes, task, l2):
    net = MLP([*sizes, _n_out(task)], activation=activation, task=task, seed=2, bias_init=0.1, **params)
    X, y = _data(task)
    _assert_gradients_match(net, X, y, l2)


# --- the loss definition ------------------------------------------------------------------------


def test_classification_loss_is_mean_negative_log_softmax():
    net = MLP([3, 5, 4, N_CLASSES], activation="tanh", seed=0)
    X, y = _data("classification", n=8)
    # logits of the same net, computed by hand from its parameters
    h = X
    for W, b in zip(net.weights[:-1], net.biases[:-1], strict=True):
        h = np.tanh(h @ W + b)
    logits = h @ net.weights[-1] + net.biases[-1]
    expected = 0.0
    for row, label in zip(logits, y, strict=True):
        expected += -(row[label] - math.log(sum(math.exp(v) for v in row)))
    expected /= len(y)
    assert net.loss(X, y) == pytest.approx(expected, rel=1e-12)
    assert net.loss(X, y) == pytest.approx(log_loss(y, net.forward(X), labels=range(N_CLASSES)), rel=1e-9)


def test_classification_loss_with_a_missing_class_in_the_batch():
    net = MLP([3, 4, N_CLASSES], activation="relu", seed=3)
    X, _ = _data("classification", n=6)
    y = np.array([0, 2, 0, 2, 2, 0])  # class 1 absent
    assert net.loss(X, y) == pytest.approx(log_loss(y, net.forward(X), labels=range(N_CLASSES)), rel=1e-9)


def test_regression_loss_is_half_mean_sum_of_squares():
    net = MLP([3, 5, 4, N_OUT_REGRESSION], activation="relu", task="regression", seed=0)
    X, y = _data("regression", n=8)
    pred = net.forward(X)
    total = 0.0
    for i in range(len(X)):
        for j in range(N_OUT_REGRESSION):
            total += (pred[i, j] - y[i, j]) ** 2
    expected = 0.5 * total / len(X)
    assert net.loss(X, y) == pytest.approx(expected, rel=1e-12)


def test_regression_single_output_accepts_1d_targets():
    net = MLP([3, 4, 1], activation="tanh", task="regression", seed=0)
    X, _ = _data("regression")
    y = np.linspace(-1, 1, len(X))
    pred = net.forward(X)[:, 0]
    assert net.loss(X, y) == pytest.approx(0.5 * np.mean((pred - y) ** 2), rel=1e-12)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_l2_adds_half_l2_sum_of_squared_weights_only(task):
    net = MLP([3, 5, 4, _n_out(task)], activation="relu", task=task, seed=4, bias_init=0.5)
    X, y = _data(task)
    l2 = 0.1
    squared = sum(float(w) ** 2 for W in net.weights for w in W.ravel())
    penalty = net.loss(X, y, l2=l2) - net.loss(X, y)
    assert penalty == pytest.approx(0.5 * l2 * squared, rel=1e-10)
    # biases are not regularised: changing them leaves the penalty unchanged
    for b in net.biases:
        b += 0.7
    assert net.loss(X, y, l2=l2) - net.loss(X, y) == pytest.approx(0.5 * l2 * squared, rel=1e-10)


# --- softmax stability --------------------------------------------------------------------------


def _logit_net(output_weights):
    """A linear net [2, 2, 2] whose hidden layer is the identity, so logits = X @ output_weights."""
    net = MLP([2, 2, 2], activation="linear", seed=0)
    net.weights[0][...] = np.eye(2)
    net.biases[0][...] = 0.0
    net.weights[1][...] = output_weights
    net.biases[1][...] = 0.0
    return net


def test_cross_entropy_stable_for_logits_around_1e3():
    net = _logit_net(np.array([[1000.0, 0.0], [0.0, -1000.0]]))
    X = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])  # logits [1000, 0], [0, -1000], [-1000, 0]
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        probs = net.forward(X)
        loss_wrong = net.loss(X[:1], np.array([1]))
        loss_all, grad_w, grad_b = net.loss_and_gradients(X, np.array([1, 1, 0]))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(probs, [[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    assert loss_wrong == 1000.0  # -log softmax([1000, 0])[1] = 1000 (+ log(1 + e^-1000))
    assert loss_all == pytest.approx(3000.0 / 3)
    for g in (*grad_w, *grad_b):
        assert np.isfinite(g).all()


def test_cross_entropy_right_answer_at_huge_logits_is_zero_loss():
    net = _logit_net(np.array([[1000.0, 0.0], [0.0, 1000.0]]))
    assert net.loss(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0, 1])) == 0.0


def test_softmax_is_shift_invariant_at_1e3():
    np.testing.assert_allclose(softmax(np.array([[1000.0, 1001.0, 1002.0]])),
                               softmax(np.array([[0.0, 1.0, 2.0]])), rtol=1e-15)
    e = np.exp([0.0, 1.0, 2.0])
    np.testing.assert_allclose(softmax(np.array([[1000.0, 1001.0, 1002.0]])), [e / e.sum()], rtol=1e-14)


# --- forward shapes and dtype -------------------------------------------------------------------


def test_forward_shapes():
    X, _ = _data("classification", n=9)
    probs = MLP([3, 5, 4, N_CLASSES], seed=0).forward(X)
    assert probs.shape == (9, N_CLASSES)
    assert (probs > 0).all()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    pred = MLP([3, 5, 4, N_OUT_REGRESSION], task="regression", seed=0).forward(X)
    assert pred.shape == (9, N_OUT_REGRESSION)


@pytest.mark.parametrize("activation", ["relu", "gelu", "maxout"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("task", ["classification", "regression"])
def test_dtype_kept_everywhere(dtype, task, activation):
    net = MLP([3, 5, 4, _n_out(task)], activation=activation, task=task, dtype=dtype, seed=0)
    X, y = _data(task)
    assert all(W.dtype == dtype for W in net.weights)
    assert all(b.dtype == dtype for b in net.biases)
    assert net.forward(X).dtype == dtype  # X is float64
    loss, grad_w, grad_b = net.loss_and_gradients(X, y, l2=0.1)
    assert math.isfinite(loss)
    assert all(g.dtype == dtype for g in (*grad_w, *grad_b))


def test_float32_and_float64_share_weights_up_to_rounding():
    n32 = MLP([3, 5, 4, 2], seed=7, dtype=np.float32)
    n64 = MLP([3, 5, 4, 2], seed=7, dtype=np.float64)
    for W32, W64 in zip(n32.weights, n64.weights, strict=True):
        np.testing.assert_array_equal(W32, W64.astype(np.float32))


# --- initialisation -----------------------------------------------------------------------------


@pytest.mark.parametrize(("init", "expected_std"), [("he", math.sqrt(2 / 400)),
                                                    ("xavier", math.sqrt(2 / (400 + 400)))])
def test_init_scale(init, expected_std):
    net = MLP([400, 400, 2], init=init, seed=0)
    W = net.weights[0]
    assert abs(W.std() / expected_std - 1) < 0.03
    assert abs(W.mean()) < 0.03 * expected_std * 5


def test_xavier_uses_both_fans():
    net = MLP([200, 600, 2], init="xavier", seed=0)
    assert abs(net.weights[0].std() / math.sqrt(2 / 800) - 1) < 0.03
    net = MLP([200, 600, 2], init="he", seed=0)
    assert abs(net.weights[0].std() / math.sqrt(2 / 200) - 1) < 0.03


@pytest.mark.parametrize("seed", [0, 7])
@pytest.mark.parametrize("activation", ["relu", ["tanh", "maxout"]])
def test_he_and_xavier_weights_are_the_scaled_standard_normal_stream(seed, activation):
    """He and Xavier draw exactly what they drew before other inits existed: one default_rng(seed) stream of
    standard normals, layer by layer (a maxout layer's matrix pieces times wider), times the init's std."""
    sizes, pieces = [5, 6, 4, 3], [1, 1] if activation == "relu" else [1, 2]
    for init, std in (("he", lambda a, b: math.sqrt(2 / a)), ("xavier", lambda a, b: math.sqrt(2 / (a + b)))):
        rng = np.random.default_rng(seed)
        expected = [rng.standard_normal((a, b * k)) * std(a, b)
                    for a, b, k in zip(sizes[:-1], sizes[1:], [*pieces, 1], strict=True)]
        net = MLP(sizes, activation=activation, init=init, seed=seed)
        for W, E in zip(net.weights, expected, strict=True):
            np.testing.assert_array_equal(W, E)


def test_small_init_is_a_hundredth_of_the_standard_normal_draws():
    he, small = MLP([300, 200, 2], init="he", seed=3), MLP([300, 200, 2], init="small", seed=3)
    np.testing.assert_allclose(small.weights[0], he.weights[0] / math.sqrt(2 / 300) * 0.01, rtol=1e-12)
    assert abs(small.weights[0].std() / 0.01 - 1) < 0.03  # 60,000 draws: the std's relative error is ~0.003


def test_zero_init_is_exactly_zero_everywhere():
    net = MLP([4, 6, 5, 3], activation=["relu", "maxout"], init="zero", seed=1, bias_init=0.5)
    for W in net.weights:
        assert W.shape[0] > 0 and not W.any() and not np.signbit(W).any()  # no -0.0 either
    np.testing.assert_array_equal(net.biases[0], 0.5)  # biases keep their own init


def test_standard_init_is_glorot_bengios_uniform():
    """Glorot & Bengio (2010) eq. 1: W ~ U[-1/sqrt(n), 1/sqrt(n)] with n = fan_in."""
    from scipy import stats

    fan_in = 400
    W = MLP([fan_in, 300, 2], init="standard", seed=0).weights[0]
    bound = 1 / math.sqrt(fan_in)
    assert np.abs(W).max() <= bound
    ks = stats.kstest(W.ravel() / bound, stats.uniform(loc=-1, scale=2).cdf)
    assert ks.pvalue > 1e-3, ks  # 120,000 draws: any real departure from uniform would show
    assert abs(W.std() / (bound / math.sqrt(3)) - 1) < 0.01


def test_bias_init_hidden_only():
    net = MLP([3, 5, 4, 2], bias_init=-1.5, seed=0)
    assert [b.shape for b in net.biases] == [(5,), (4,), (2,)]
    for b in net.biases[:-1]:
        np.testing.assert_array_equal(b, -1.5)
    np.testing.assert_array_equal(net.biases[-1], 0.0)


def test_seeds():
    a = MLP([3, 5, 4, 2], seed=11)
    b = MLP([3, 5, 4, 2], seed=11)
    c = MLP([3, 5, 4, 2], seed=12)
    for Wa, Wb, Wc in zip(a.weights, b.weights, c.weights, strict=True):
        np.testing.assert_array_equal(Wa, Wb)
        assert not np.array_equal(Wa, Wc)


def test_same_seed_different_activation_same_start():
    relu = MLP([3, 5, 4, 2], activation="relu", init="he", seed=5)
    tanh = MLP([3, 5, 4, 2], activation="tanh", init="he", seed=5)
    for Wr, Wt in zip(relu.weights, tanh.weights, strict=True):
        np.testing.assert_array_equal(Wr, Wt)
    for br, bt in zip(relu.biases, tanh.biases, strict=True):
        np.testing.assert_array_equal(br, bt)


# --- maxout -------------------------------------------------------------------------------------


@pytest.mark.parametrize("pieces", [2, 3])
def test_maxout_weights_are_pieces_times_wider(pieces):
    net = MLP([3, 5, 4, 2], activation="maxout", maxout_pieces=pieces, seed=0)
    assert [W.shape for W in net.weights] == [(3, 5 * pieces), (5, 4 * pieces), (4, 2)]
    assert [b.shape for b in net.biases] == [(5 * pieces,), (4 * pieces,), (2,)]


@pytest.mark.parametrize("pieces", [2, 3])
def test_maxout_forward_matches_hand_written_max(pieces):
    # Layout (from core.engine.mlp.MaxoutLayer): column u * pieces + p is piece p of unit u.
    units = 3
    net = MLP([2, units, 2], activation="maxout", maxout_pieces=pieces, task="regression", seed=1,
              bias_init=0.2)
    net.biases[0][...] = np.random.default_rng(0).standard_normal(units * pieces)
    X = np.random.default_rng(3).standard_normal((5, 2))
    W0, b0, W1, b1 = net.weights[0], net.biases[0], net.weights[1], net.biases[1]
    expected = np.zeros((5, 2))
    hidden = np.zeros((5, units))
    for i in range(5):
        for u in range(units):
            hidden[i, u] = max(
                sum(X[i, k] * W0[k, u * pieces + p] for k in range(2)) + b0[u * pieces + p]
                for p in range(pieces)
            )
        for o in range(2):
            expected[i, o] = sum(hidden[i, u] * W1[u, o] for u in range(units)) + b1[o]
    np.testing.assert_allclose(net.hidden_outputs(X)[0], hidden, rtol=1e-12)
    np.testing.assert_allclose(net.forward(X), expected, rtol=1e-12)


@pytest.mark.parametrize("pieces", [2, 3])
def test_maxout_gradient_flows_to_the_winning_piece_only(pieces):
    units = 4
    net = MLP([3, units, 2], activation="maxout", maxout_pieces=pieces, seed=2)
    x = np.random.default_rng(5).standard_normal((1, 3))
    z = (x @ net.weights[0] + net.biases[0]).reshape(units, pieces)
    winners = z.argmax(axis=1)
    _, grad_w, grad_b = net.loss_and_gradients(x, np.array([1]))
    for u in range(units):
        for p in range(pieces):
            col = u * pieces + p
            if p == winners[u]:
                assert np.abs(grad_w[0][:, col]).max() > 0
                assert grad_b[0][col] != 0
            else:
                np.testing.assert_array_equal(grad_w[0][:, col], 0.0)
                assert grad_b[0][col] == 0.0


def test_maxout_pieces_validated():
    for bad in (1, 9, 2.5):
        with pytest.raises(ValueError):
            MLP([3, 4, 2], activation="maxout", maxout_pieces=bad)


# --- validation ---------------------------------------------------------------------------------


def test_per_layer_list_of_wrong_length():
    with pytest.raises(ValueError):
        MLP([3, 5, 4, 2], activation=["relu"])
    with pytest.raises(ValueError):
        MLP([3, 5, 4, 2], activation=["relu", "tanh", "relu"])


def test_per_layer_list_used_in_order():
    net = MLP([3, 5, 4, 2], activation=["tanh", "relu"], seed=0)
    X, _ = _data("classification")
    h1, h2 = net.hidden_outputs(X)
    np.testing.assert_allclose(h1, np.tanh(X @ net.weights[0] + net.biases[0]), rtol=1e-12)
    np.testing.assert_allclose(h2, np.maximum(h1 @ net.weights[1] + net.biases[1], 0), rtol=1e-12)


@pytest.mark.parametrize("activation", ["swish2", ["relu", "nope"]])
def test_unknown_activation_lists_choices(activation):
    with pytest.raises(ValueError) as excinfo:
        MLP([3, 5, 4, 2], activation=activation)
    message = str(excinfo.value)
    for name in ("relu", "tanh", "maxout"):
        assert name in message


def test_unknown_task_and_init():
    with pytest.raises(ValueError, match="classification"):
        MLP([3, 4, 2], task="ranking")
    with pytest.raises(ValueError, match="xavier") as excinfo:
        MLP([3, 4, 2], init="lecun")
    for name in ("he", "small", "zero", "standard"):
        assert name in str(excinfo.value)


def test_wrong_input_width():
    net = MLP([3, 4, 2], seed=0)
    with pytest.raises(ValueError):
        net.forward(np.zeros((5, 4)))
    with pytest.raises(ValueError):
        net.loss_and_gradients(np.zeros((5, 2)), np.zeros(5, dtype=int))
    with pytest.raises(ValueError):
        net.forward(np.zeros(3))


def test_bad_class_labels():
    net = MLP([3, 4, 2], seed=0)
    X = np.zeros((3, 3))
    with pytest.raises(ValueError):
        net.loss(X, np.array([0, 1, 2]))
    with pytest.raises(ValueError):
        net.loss(X, np.array([0, -1, 1]))


def test_activation_params_reach_the_layers():
    net = MLP([2, 4, 2], activation="leaky_relu", alpha=0.2, seed=0)
    net.weights[0][...] = np.array([[1.0, -1.0, 2.0, -2.0], [0.0, 0.0, 0.0, 0.0]])
    net.biases[0][...] = 0.0
    (hidden,) = net.hidden_outputs(np.array([[1.5, 9.0]]))
    np.testing.assert_allclose(hidden, [[1.5, -0.3, 3.0, -0.6]], rtol=1e-15)
    default = MLP([2, 4, 2], activation="leaky_relu", seed=0)
    default.weights[0][...] = net.weights[0]
    (hidden,) = default.hidden_outputs(np.array([[1.5, 9.0]]))
    np.testing.assert_allclose(hidden, [[1.5, -0.015, 3.0, -0.03]], rtol=1e-15)


@pytest.mark.parametrize("activation", ["relu", "maxout", ["tanh", "sigmoid"]])
def test_param_no_layer_takes_is_rejected(activation):
    sizes = [2, 4, 2] if isinstance(activation, str) else [2, 4, 3, 2]
    with pytest.raises(ValueError):
        MLP(sizes, activation=activation, alpha=0.2)


def test_negative_alpha_rejected():
    with pytest.raises(ValueError):
        MLP([2, 4, 2], activation="leaky_relu", alpha=-0.5)


# --- linear activation: any depth is a linear model ---------------------------------------------


def _effective_linear_map(net: MLP):
    W_eff = net.weights[0]
    b_eff = net.biases[0]
    for W, b in zip(net.weights[1:], net.biases[1:], strict=True):
        W_eff = W_eff @ W
        b_eff = b_eff @ W + b
    return W_eff, b_eff


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_linear_net_collapses_to_one_matrix(task):
    net = MLP([2, 6, 5, 4, 3], activation="linear", task=task, bias_init=0.3, seed=9)
    for b in net.biases:
        b += np.random.default_rng(1).standard_normal(b.shape)
    X = np.random.default_rng(2).standard_normal((20, 2))
    W_eff, b_eff = _effective_linear_map(net)
    logits = X @ W_eff + b_eff
    if task == "regression":
        np.testing.assert_allclose(net.forward(X), logits, rtol=1e-12, atol=1e-12)
    else:
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        np.testing.assert_allclose(net.forward(X), e / e.sum(axis=1, keepdims=True), rtol=1e-12)


def _best_accuracy_of_any_line(X, y, n_angles: int = 3600) -> float:
    """Scan directions; for each, the best threshold (either orientation) on the projection."""
    best = 0.0
    for theta in np.linspace(0, np.pi, n_angles, endpoint=False):
        proj = X @ np.array([np.cos(theta), np.sin(theta)])
        order = np.argsort(proj)
        ys = y[order]
        # predict 1 above the cut: correct = zeros below + ones above
        zeros_below = np.concatenate([[0], np.cumsum(ys == 0)])
        ones_above = np.concatenate([[0], np.cumsum((ys == 1)[::-1])])[::-1]
        correct = zeros_below + ones_above
        best = max(best, correct.max() / len(y), (len(y) - correct.min()) / len(y))
    return best


def test_linear_model_cannot_separate_moons():
    X, y = make_moons(500, noise=0.2, random_state=0)
    logistic = LogisticRegression().fit(X, y).score(X, y)
    assert logistic < 0.9
    best_line = _best_accuracy_of_any_line(X, y)
    assert best_line < 0.9
    # A linear MLP of any depth is X @ W_eff + b_eff (shown above), so its boundary is one line.
    for seed in range(3):
        net = MLP([2, 8, 8, 8, 2], activation="linear", seed=seed)
        W_eff, b_eff = _effective_linear_map(net)
        np.testing.assert_array_equal(net.predict(X), (X @ W_eff + b_eff).argmax(axis=1))
        assert (net.predict(X) == y).mean() <= best_line + 0.01


# --- from_parameters ----------------------------------------------------------------------------


def test_from_parameters_wraps_views():
    source = MLP([3, 5, 4, 2], activation="tanh", seed=0, bias_init=0.1)
    weights = [W.copy() for W in source.weights]
    biases = [b.copy() for b in source.biases]
    net = MLP.from_parameters(weights, biases, "tanh")
    X, _ = _data("classification")
    before = net.forward(X)
    np.testing.assert_allclose(before, source.forward(X), rtol=1e-15)
    assert net.weights[0] is weights[0]
    weights[-1] *= 3.0
    after = net.forward(X)
    assert not np.allclose(before, after)
    np.testing.assert_allclose(after, MLP.from_parameters(
        [W.copy() for W in weights], biases, "tanh").forward(X), rtol=1e-15)
    biases[0][...] = 5.0
    assert not np.allclose(after, net.forward(X))


def test_from_parameters_maxout():
    source = MLP([3, 5, 2], activation="maxout", maxout_pieces=3, task="regression", seed=0)
    net = MLP.from_parameters(source.weights, source.biases, "maxout", task="regression", maxout_pieces=3)
    assert net.layer_sizes == [3, 5, 2]
    X, _ = _data("regression")
    np.testing.assert_array_equal(net.forward(X), source.forward(X))
