"""The network: init, forward, loss and gradients.

Backprop lives in three small functions (``forward_layers``, ``output_loss``, ``backward_layers``)
that work on one network (weights ``(fan_in, fan_out)``) or on a stack of networks trained in
lockstep (weights ``(models, fan_in, fan_out)``): numpy's ``@`` broadcasts over the leading model
axis, so the stacked trainer in ``core.engine.training`` and the single ``MLP`` below share every line.
The trainer hands them ``Buffers`` to write into (``out=``, in place, as scikit-learn's ``_base.py`` does), so a
training step allocates nothing; ``output_gradient`` is ``output_loss``'s gradient without the loss a step never
reads. Every faster form computes the same numbers as the plain one.

Loss (exactly as the guide defines it):
* classification: mean over samples of ``-log softmax(z)[y]``, from the logits via log-sum-exp;
* regression: ``0.5 * mean over samples of sum over outputs (yhat - y)^2``;
* plus ``0.5 * l2 * sum of squared weights`` and ``l1 * sum of absolute weights`` (biases are not regularised);
  the L1 term's gradient is ``l1 * sign(w)``, taken as 0 at w = 0 (a subgradient, as ``np.sign`` gives it).

A network built with input ``features`` (``core.engine.features``) takes 2-D points and maps them to those features
before its first layer, so whoever hands it points sees what training saw.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence

import numpy as np
from scipy.special import erf

from core.engine.activations import ACTIVATIONS, Activation, get_activation
from core.engine.features import check_features, feature_map

MAXOUT = "maxout"
TASKS = ("classification", "regression")
INITS = ("he", "xavier", "small", "zero", "standard")
HIDDEN_CHOICES = (*ACTIVATIONS, MAXOUT)
LAYER_SEPARATOR = ">"  # a per-layer activation key: "tanh>relu" is tanh in hidden layer 1, ReLU in layer 2


def activation_key(names) -> str:
    """The key that names a network's hidden activations in every frame: the registry name when every hidden layer
    has the same one ("relu"), else the per-layer names joined by ">" ("tanh>relu")."""
    names = [names] if isinstance(names, str) else list(names)
    return names[0] if len(set(names)) == 1 else LAYER_SEPARATOR.join(names)


def parse_activation_key(text: str) -> str:
    """The activation key of people's text for a network: registry names or labels, one per hidden layer (input
    side first) separated by commas, ">" or "→": "tanh, relu", "tanh>relu" and "Tanh → ReLU" all give "tanh>relu"
    (and "relu, relu" gives "relu", as ``activation_key`` names it). ValueError naming the valid choices."""
    parts = [part.strip() for part in re.split(r"[,>→]", str(text))]
    by_text = {**{name.casefold(): name for name in HIDDEN_CHOICES},
               **{activation_label(name).casefold(): name for name in HIDDEN_CHOICES}}
    names = [by_text.get(part.casefold()) for part in parts]
    if not parts or None in names:
        unknown = next((part for part, name in zip(parts, names, strict=True) if name is None), text)
        raise ValueError(f"Unknown activation {unknown!r} in {text!r}: give one activation per hidden layer, "
                         f"separated by commas (e.g. tanh, relu). Valid choices: {', '.join(HIDDEN_CHOICES)}.")
    return activation_key(names)


def activation_label(key: str) -> str:
    """The display label of an activation key, the one place a label is made: "ReLU", "Maxout", "Tanh → ReLU".
    ValueError for a name that is not a hidden activation."""
    labels = []
    for name in str(key).split(LAYER_SEPARATOR):
        if name not in HIDDEN_CHOICES:
            raise ValueError(f"Unknown activation {name!r}. Valid choices: {', '.join(HIDDEN_CHOICES)}.")
        labels.append("Maxout" if name == MAXOUT else ACTIVATIONS[name].label)
    return " → ".join(labels)


# --- hidden layers: a nonlinearity with its forward and backward ----------------------------------


class ActivationLayer:
    """An elementwise activation from the registry."""

    pieces = 1

    def __init__(self, activation: Activation):
        self.activation = activation
        self.name = activation.name
        self.signature = (activation.name, tuple(sorted(activation.params.items())))

    def forward(self, z, out=None):
        """f(z) and no cache; written into ``out`` when given, else into a new C-ordered array (z may be a
        transposed view: the layer's outputs keep one memory layout, so their sums add in one order)."""
        return self.activation.forward_into(z, np.empty(z.shape, z.dtype) if out is None else out), None

    def backward(self, grad_out, z, out, cache, scratch=None):
        return self.activation.backprop(grad_out, z, out, scratch)


class MaxoutLayer:
    """Maxout: each unit is the max of ``pieces`` affine pieces; the gradient flows to the arg-max only."""

    name = MAXOUT

    def __init__(self, pieces: int):
        self.pieces = pieces
        self.signature = (MAXOUT, pieces)

    def forward(self, z, out=None):
        zk = z.reshape(*z.shape[:-1], -1, self.pieces)
        winner = zk.argmax(axis=-1)[..., None]
        return np.take_along_axis(zk, winner, axis=-1)[..., 0], winner

    def backward(self, grad_out, z, out, winner, scratch=None):
        grad_z = np.zeros(z.shape[:-1] + (z.shape[-1] // self.pieces, self.pieces), dtype=z.dtype)
        np.put_along_axis(grad_z, winner, grad_out[..., None], axis=-1)
        return grad_z.reshape(z.shape)


class SegmentedLayer:
    """Different activations along the model axis of a stack: ``segments`` is [(slice, layer), ...].

    Each segment writes straight into its slice of the layer's output. The layer also keeps the seconds each
    segment spends in its activation, so a stack can attribute wall time to each activation fairly.
    """

    pieces = 1

    def __init__(self, segments: Sequence[tuple[slice, ActivationLayer]]):
        self.segments = list(segments)
        self.seconds = np.zeros(len(self.segments))

    def forward(self, z, out=None):
        if out is None:
            out = np.empty(z.shape, z.dtype)
        for i, (rows, layer) in enumerate(self.segments):
            t0 = time.perf_counter()
            layer.forward(z[rows], out[rows])
            self.seconds[i] += time.perf_counter() - t0
        return out, None

    def backward(self, grad_out, z, out, cache, scratch=None):
        for i, (rows, layer) in enumerate(self.segments):
            t0 = time.perf_counter()
            layer.backward(grad_out[rows], z[rows], out[rows], None, None if scratch is None else scratch[rows])
            self.seconds[i] += time.perf_counter() - t0
        return grad_out


def make_layer(name: str, maxout_pieces: int = 2, **activation_params):
    """The hidden layer for an activation name (``"maxout"`` included)."""
    if name == MAXOUT:
        if int(maxout_pieces) != maxout_pieces or not 2 <= maxout_pieces <= 8:
            raise ValueError(f"maxout_pieces must be an integer from 2 to 8, got {maxout_pieces!r}.")
        return MaxoutLayer(int(maxout_pieces))
    if name not in ACTIVATIONS:
        raise ValueError(f"Unknown activation {name!r}. Valid choices: {', '.join(HIDDEN_CHOICES)}.")
    accepted = {k: v for k, v in activation_params.items() if k in ACTIVATIONS[name].params}
    return ActivationLayer(get_activation(name, **accepted))


def _checked_features(features, n_first: int) -> tuple[str, ...] | None:
    """A network's input features (None: it takes the data's own inputs), which must fill its first layer."""
    if features is None:
        return None
    features = check_features(features)
    if len(features) != n_first:
        raise ValueError(f"The network takes {n_first} inputs but {len(features)} input features were given.")
    return features


def hidden_activation_names(activation, n_hidden: int) -> list[str]:
    """One activation name per hidden layer, from a single name or a per-layer sequence."""
    names = [activation] * n_hidden if isinstance(activation, str) else list(activation)
    if len(names) != n_hidden:
        raise ValueError(f"Got {len(names)} activations for {n_hidden} hidden layers; give one per layer.")
    for name in names:
        if name not in HIDDEN_CHOICES:
            raise ValueError(f"Unknown activation {name!r}. Valid choices: {', '.join(HIDDEN_CHOICES)}.")
    return names


# --- initialisation ------------------------------------------------------------------------------


def init_scale(init: str, fan_in: int, fan_out: int) -> float:
    """Standard deviation of an init's weights.

    * "he": normal, std sqrt(2 / fan_in) — keeps ReLU's forward variance (He et al. 2015);
    * "xavier": normal, std sqrt(2 / (fan_in + fan_out)) — Glorot & Bengio's (2010) "normalised" init, as a normal;
    * "small": normal, std 0.01 — CS231n's 0.01 * N(0, 1), whose signal shrinks layer by layer;
    * "zero": every weight 0 — symmetric, so no two units of a layer can ever differ;
    * "standard": uniform on [-1/sqrt(fan_in), 1/sqrt(fan_in)], Glorot & Bengio's (2010) "standard" init (their
      eq. 1), whose std is 1 / sqrt(3 * fan_in).
    """
    if init == "he":
        return float(np.sqrt(2.0 / fan_in))
    if init == "xavier":
        return float(np.sqrt(2.0 / (fan_in + fan_out)))
    if init == "small":
        return 0.01
    if init == "zero":
        return 0.0
    if init == "standard":
        return float(1.0 / np.sqrt(3.0 * fan_in))
    raise ValueError(f"Unknown init {init!r}. Valid choices: {', '.join(INITS)}.")


def initial_weights(init: str, draws: np.ndarray, fan_in: int, fan_out: int) -> np.ndarray:
    """One weight matrix of ``init`` (see ``init_scale``), in float64, from its standard normal ``draws``.

    The normal inits scale the draws. "standard" maps each draw d to erf(d / sqrt 2) / sqrt(fan_in): erf(d / sqrt 2)
    = 2 Phi(d) - 1 is exactly uniform on (-1, 1) when d is standard normal, so the uniform init needs no draws of
    its own and every init keeps the same random stream (He and Xavier weights are unchanged by its existence).
    """
    if init == "standard":
        return erf(draws / np.sqrt(2.0)) / np.sqrt(fan_in)
    if init == "zero":
        return np.zeros_like(draws)  # not draws * 0, which would hold -0.0 where a draw was negative
    return draws * init_scale(init, fan_in, fan_out)


def standard_normal_weights(layer_sizes: Sequence[int], pieces: Sequence[int], seed: int) -> list[np.ndarray]:
    """Unit-variance draws for every weight matrix, in float64, from one seed.

    Kept apart from the scale so that nets sharing a seed start from the same directions,
    whatever their activation or init.
    """
    rng = np.random.default_rng(seed)
    return [
        rng.standard_normal((fan_in, fan_out * k))
        for fan_in, fan_out, k in zip(layer_sizes[:-1], layer_sizes[1:], pieces, strict=True)
    ]


# --- the three steps of backprop -------------------------------------------------------------------


class Buffers:
    """Preallocated arrays for backprop on up to ``rows`` rows, so that a training step or a measurement allocates
    nothing: per hidden layer its pre-activations ``z`` (``widths``: units x maxout pieces), outputs ``h``, the
    gradient ``delta`` backpropagated to them and a ``scratch`` for the activation's derivative (``units`` wide);
    the raw output ``out``. ``lead`` is the model axis of a stack, or ().

    ``wide_first``: the first layer's ``z`` is laid out (rows, models, width), the layout of the one product that
    serves a whole stack from a 2-D input (see ``matmul``).
    """

    def __init__(self, lead: tuple, rows: int, widths: Sequence[int], units: Sequence[int], n_out: int, dtype,
                 wide_first: bool = False):
        self.rows = rows
        self.z = [np.empty((*lead, rows, w), dtype) for w in widths]
        if wide_first and lead and widths:
            self.z[0] = np.empty((rows, *lead, widths[0]), dtype).transpose(1, 0, 2)
        self.h = [np.empty((*lead, rows, u), dtype) for u in units]
        self.delta = [np.empty((*lead, rows, u), dtype) for u in units]
        self.scratch = [np.empty((*lead, rows, u), dtype) for u in units]
        self.out = np.empty((*lead, rows, n_out), dtype)
        self._views = {rows: self}

    def first(self, rows: int) -> Buffers:
        """The same arrays cut to their first ``rows`` rows (a short last mini-batch); views made once."""
        if rows not in self._views:
            view = Buffers.__new__(Buffers)
            view.rows = rows
            for name in ("z", "h", "delta", "scratch"):
                setattr(view, name, [a[..., :rows, :] for a in getattr(self, name)])
            view.out = self.out[..., :rows, :]
            self._views[rows] = view
        return self._views[rows]


def matmul(a, W, out=None):
    """``a @ W`` (into ``out`` when given). When one 2-D input meets a stack of weight matrices, one GEMM serves
    them all: its (n, models * fan_out) result is returned as a (models, n, fan_out) view, not copied.

    numpy runs a broadcast ``(n, k) @ (M, k, m)`` as M separate products; the single ``(n, k) @ (k, M*m)`` is as
    fast or faster and is what the per-epoch measurement has always used (its numbers depend on it).
    """
    if a.ndim == 2 and W.ndim == 3:
        models, fan_in, fan_out = W.shape
        wide = None
        if out is not None and out.transpose(1, 0, 2).flags.c_contiguous:  # Buffers(wide_first=True)
            wide = out.transpose(1, 0, 2).reshape(len(a), models * fan_out)
        flat = np.matmul(a, W.transpose(1, 0, 2).reshape(fan_in, models * fan_out), out=wide)
        return flat.reshape(len(a), models, fan_out).transpose(1, 0, 2)
    return np.matmul(a, W, out=out)


def forward_layers(X, weights, biases, layers, buffers: Buffers | None = None):
    """Pre-activations ``zs``, layer outputs ``hs`` (``hs[0]`` is X), caches, and the raw output; written into
    ``buffers`` (cut to len(X) rows) when given."""
    if buffers is not None:
        buffers = buffers.first(X.shape[-2])
    zs, hs, caches = [], [X], []
    h = X
    for i, (W, b, layer) in enumerate(zip(weights[:-1], biases[:-1], layers, strict=True)):
        z = matmul(h, W, None if buffers is None else buffers.z[i])
        z += b
        h, cache = layer.forward(z, None if buffers is None else buffers.h[i])
        zs.append(z)
        hs.append(h)
        caches.append(cache)
    out = matmul(h, weights[-1], None if buffers is None else buffers.out)
    out += biases[-1]
    return zs, hs, caches, out


def row_max(a):
    """``a.max(axis=-1, keepdims=True)``. numpy reduces a short last axis one call per row (30 ns a row for two
    classes, 4 ns a value for ten), so over many rows the maximum is taken column by column instead, all rows at
    once: 2-15x faster. A maximum is exact, so the order changes no number."""
    rows = a.size // max(a.shape[-1], 1)
    if rows < 128 or a.shape[-1] > 32:
        return a.max(axis=-1, keepdims=True)
    m = a[..., :1].copy()
    for k in range(1, a.shape[-1]):
        np.maximum(m, a[..., k:k + 1], out=m)
    return m


def softmax(logits):
    """Row-wise softmax, stable for any finite logits (max subtracted first)."""
    shifted = logits - row_max(logits)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=-1, keepdims=True)
    return shifted


def output_loss(out, targets, task: str):
    """Mean loss over samples and its gradient with respect to ``out`` (logits or predictions).

    ``targets`` are one-hot rows for classification and values for regression. With a model axis
    the loss is one value per model.
    """
    n = out.shape[-2]
    if task == "classification":
        shifted = out - row_max(out)
        grad = np.exp(shifted)
        total = grad.sum(axis=-1, keepdims=True)
        # -log softmax(z)[y] = log sum exp(z - max) - (z_y - max); never exp of a positive number
        per_sample = np.log(total[..., 0]) - (shifted * targets).sum(axis=-1)
        grad /= total
        grad -= targets
    else:
        grad = out - targets
        per_sample = 0.5 * (grad * grad).sum(axis=-1)
    grad /= n
    return per_sample.mean(axis=-1), grad


def output_gradient(out, targets, task: str):
    """``output_loss``'s gradient alone, computed in place in ``out`` (a training step needs no loss): the same
    operations in the same order, so the same numbers."""
    if task == "classification":
        out -= row_max(out)
        np.exp(out, out=out)
        out /= out.sum(axis=-1, keepdims=True)
    out -= targets
    out /= out.shape[-2]
    return out


def backward_layers(grad_out, weights, zs, hs, caches, layers, grads=None, buffers: Buffers | None = None,
                    biases: bool = True):
    """Gradients of the loss for every weight matrix and bias, from the gradient at the output.

    ``grads`` (optional): the (weight, bias) gradient arrays to write into; ``buffers``: the arrays for the
    backpropagated gradients; ``biases=False`` skips the bias gradients (the per-epoch measurement needs only
    the weights').
    """
    grad_w, grad_b = ([None] * len(weights), [None] * len(weights)) if grads is None else grads
    if buffers is not None:
        buffers = buffers.first(grad_out.shape[-2])
    delta = grad_out
    for i in range(len(weights) - 1, -1, -1):
        grad_w[i] = np.matmul(hs[i].swapaxes(-1, -2), delta, out=grad_w[i])
        if biases:
            # np.sum without its Python wrapper (a microsecond, three times a step)
            grad_b[i] = np.add.reduce(delta, axis=-2, keepdims=delta.ndim > 2, out=grad_b[i])
        if i:
            delta = np.matmul(delta, weights[i].swapaxes(-1, -2), out=None if buffers is None else
                              buffers.delta[i - 1])
            delta = layers[i - 1].backward(delta, zs[i - 1], hs[i], caches[i - 1],
                                           None if buffers is None else buffers.scratch[i - 1])
    return grad_w, grad_b


def frobenius_norms(g):
    """||g||_F over the last two axes (one value per model of a stack), in float64, scaled by the largest entry
    first so that squaring huge (exploding) entries cannot overflow; a non-finite entry gives a non-finite norm."""
    scale = np.abs(g).max(axis=(-2, -1)).astype(np.float64)
    safe = np.where((scale > 0) & np.isfinite(scale), scale, 1.0)
    scaled = g / safe[..., None, None]
    return safe * np.sqrt((scaled * scaled).sum(axis=(-2, -1), dtype=np.float64))


def l2_penalty(weights, l2: float):
    """0.5 * l2 * sum of squared weights (one value per model with a model axis)."""
    return 0.5 * l2 * sum((W * W).sum(axis=(-2, -1)) for W in weights)


def l1_penalty(weights, l1: float):
    """l1 * sum of absolute weights (one value per model with a model axis)."""
    return l1 * sum(np.abs(W).sum(axis=(-2, -1)) for W in weights)


def add_penalty_gradients(grad_w, weights, l2: float = 0.0, l1: float = 0.0) -> None:
    """Add the penalties' gradients to the weights' data gradients, in place: ``l2 * W`` and ``l1 * sign(W)``
    (0 where a weight is exactly 0). Biases have no penalty."""
    for g, W in zip(grad_w, weights, strict=True):
        if l2:
            g += l2 * W
        if l1:
            g += l1 * np.sign(W)


def one_hot(y, n_classes: int, dtype) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise ValueError("Classification targets must be a 1-D array of integer class labels.")
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"Class labels must lie in 0..{n_classes - 1}.")
    return np.eye(n_classes, dtype=dtype)[y]


# --- the network ---------------------------------------------------------------------------------


class MLP:
    """A multi-layer perceptron with instrumented hidden layers.

    ``activation`` is one name for every hidden layer or one per hidden layer; ``"maxout"`` makes
    a layer of ``maxout_pieces`` affine pieces per unit (its weight matrix is ``pieces`` times wider).
    ``bias_init`` is the constant every hidden bias starts at (output biases start at 0); a
    large negative value is how the dying-ReLU demonstration starts.
    """

    def __init__(
        self,
        layer_sizes: Sequence[int],
        activation="relu",
        task: str = "classification",
        init: str = "he",
        bias_init: float = 0.0,
        seed: int = 0,
        dtype=np.float64,
        maxout_pieces: int = 2,
        features: Sequence[str] | None = None,
        **activation_params,
    ):
        layer_sizes = [int(s) for s in layer_sizes]
        if len(layer_sizes) < 2 or min(layer_sizes) < 1:
            raise ValueError("layer_sizes needs at least an input and an output size, each >= 1.")
        if task not in TASKS:
            raise ValueError(f"Unknown task {task!r}. Valid choices: {', '.join(TASKS)}.")
        if init not in INITS:
            raise ValueError(f"Unknown init {init!r}. Valid choices: {', '.join(INITS)}.")
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64, got {self.dtype}.")
        if task == "classification" and layer_sizes[-1] < 2:
            raise ValueError("A classifier needs at least 2 outputs (one per class).")
        self.layer_sizes = layer_sizes
        self.task = task
        self.init = init
        self.features = _checked_features(features, layer_sizes[0])
        self.activations = hidden_activation_names(activation, len(layer_sizes) - 2)
        self.layers = [make_layer(name, maxout_pieces, **activation_params) for name in self.activations]
        unused = set(activation_params) - {p for layer in self.layers for p in getattr(
            getattr(layer, "activation", None), "params", {})}
        if unused:
            raise ValueError(f"No hidden activation takes the parameter(s) {', '.join(sorted(unused))}.")
        pieces = [layer.pieces for layer in self.layers] + [1]
        draws = standard_normal_weights(layer_sizes, pieces, seed)
        self.weights = [
            initial_weights(init, d, fan_in, fan_out).astype(self.dtype)
            for d, fan_in, fan_out in zip(draws, layer_sizes[:-1], layer_sizes[1:], strict=True)
        ]
        self.biases = [np.full(W.shape[1], bias_init, dtype=self.dtype) for W in self.weights[:-1]]
        self.biases.append(np.zeros(layer_sizes[-1], dtype=self.dtype))

    @classmethod
    def from_parameters(cls, weights, biases, activation, task="classification", maxout_pieces=2, features=None,
                        **activation_params) -> MLP:
        """A network around existing arrays (views stay live: training updates them in place)."""
        net = cls.__new__(cls)
        net.weights, net.biases = list(weights), list(biases)
        net.dtype = np.dtype(net.weights[0].dtype)
        net.task = task
        net.init = None
        net.activations = hidden_activation_names(activation, len(net.weights) - 1)
        net.layers = [make_layer(name, maxout_pieces, **activation_params) for name in net.activations]
        net.layer_sizes = [net.weights[0].shape[0]] + [b.shape[-1] // layer.pieces for b, layer in
                                                        zip(net.biases[:-1], net.layers, strict=True)]
        net.layer_sizes.append(net.weights[-1].shape[1])
        net.features = _checked_features(features, net.layer_sizes[0])
        return net

    @property
    def n_classes(self) -> int:
        return self.layer_sizes[-1] if self.task == "classification" else 0

    @property
    def n_inputs(self) -> int:
        """Columns of the points the network takes: 2 with input features, else its first layer's width."""
        return 2 if self.features is not None else self.layer_sizes[0]

    def _inputs(self, X) -> np.ndarray:
        """X as the first layer's inputs, in the network's dtype: its input features when it has them."""
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.n_inputs:
            raise ValueError(f"Expected inputs of shape (n, {self.n_inputs}), got {X.shape}.")
        X = X.astype(self.dtype, copy=False)
        return X if self.features is None else feature_map(X, self.features)

    def _targets(self, y) -> np.ndarray:
        if self.task == "classification":
            return one_hot(y, self.layer_sizes[-1], self.dtype)
        y = np.asarray(y, dtype=self.dtype)
        y = y.reshape(len(y), -1)
        if y.shape[1] != self.layer_sizes[-1]:
            raise ValueError(f"Regression targets need {self.layer_sizes[-1]} column(s), got {y.shape[1]}.")
        return y

    def trace(self, X):
        """Every pre-activation and hidden output for X: (zs, hidden outputs, raw output)."""
        zs, hs, _, out = forward_layers(self._inputs(X), self.weights, self.biases, self.layers)
        return zs, hs[1:], out

    def hidden_outputs(self, X) -> list[np.ndarray]:
        """The output of each hidden layer for X, shape (n, units)."""
        return self.trace(X)[1]

    def forward(self, X) -> np.ndarray:
        """Classification: softmax probabilities (n, n_classes). Regression: predictions (n, n_out)."""
        out = self.trace(X)[2]
        return softmax(out) if self.task == "classification" else out

    def predict(self, X) -> np.ndarray:
        """Class labels for classification, predictions for regression."""
        out = self.forward(X)
        return out.argmax(axis=1) if self.task == "classification" else out

    def loss(self, X, y, l2: float = 0.0, l1: float = 0.0) -> float:
        return self.loss_and_gradients(X, y, l2, l1)[0]

    def loss_and_gradients(self, X, y, l2: float = 0.0, l1: float = 0.0):
        """The loss of the guide's contract and its gradients: (loss, grad_weights, grad_biases)."""
        X = self._inputs(X)
        targets = self._targets(y)
        if len(targets) != len(X):
            raise ValueError(f"X has {len(X)} rows but y has {len(targets)}.")
        if not len(X):
            raise ValueError("The loss needs at least one sample.")
        zs, hs, caches, out = forward_layers(X, self.weights, self.biases, self.layers)
        loss, grad_out = output_loss(out, targets, self.task)
        grad_w, grad_b = backward_layers(grad_out, self.weights, zs, hs, caches, self.layers)
        if l2:
            loss = loss + l2_penalty(self.weights, l2)
        if l1:
            loss = loss + l1_penalty(self.weights, l1)
        add_penalty_gradients(grad_w, self.weights, l2, l1)
        return float(loss), grad_w, grad_b

    def parameters(self) -> list[np.ndarray]:
        return [*self.weights, *self.biases]
