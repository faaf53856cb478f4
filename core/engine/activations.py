"""The registry of activation functions: one place for each function and its derivative.

Every entry is a pair (value, derivative) in the spirit of scikit-learn's ``_base.py`` and
TensorFlow Playground's ``nn.ts``, plus the facts the Activation Explorer shows about it.

Conventions
-----------
* ``derivative`` is taken with respect to the pre-activation ``x``.
* Where the derivative is undefined (ReLU and Leaky ReLU at 0, ELU at 0 when alpha != 1) we use
  the left-hand value, so ``relu'(0) = 0`` — the convention of PyTorch and TensorFlow.
* Results keep the floating dtype of the input (float32 stays float32); integer input is
  promoted to float64.
* Every function is free of overflow / invalid-value warnings for |x| <= 1e4 in float32 and
  float64: exponentials only ever see non-positive arguments, and GELU uses ``erfc`` so that
  float32 does not cancel for x < -5.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.special import erfc

Array = np.ndarray

_SQRT_HALF = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _as_float(x) -> Array:
    x = np.asarray(x)
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)


# --- the entries' type --------------------------------------------------------------------------------------
# Where |f'(x)| -> 0 (Gulcehre et al. 2016, "Noisy Activation Functions"): *hard* saturation reaches exactly 0 at a
# finite x and stays there (ReLU for x < 0); *soft* saturation only tends to 0 as |x| grows (sigmoid, tanh, ELU...).
HARD_LEFT = "hard, left (f′ = 0 exactly for x < 0)"
SOFT_LEFT = "soft, left"
SOFT_BOTH = "soft, both sides"
NOT_SATURATING = "no"


@dataclass(frozen=True)
class Activation:
    """One activation function with its derivative and the facts the Explorer shows about it."""

    name: str
    label: str
    formula: str  # LaTeX for st.latex
    derivative_formula: str
    _forward: Callable[..., Array] = field(repr=False)
    _derivative: Callable[..., Array] = field(repr=False)
    output_range: str
    zero_centred: bool
    saturating: str  # where and how |f'(x)| -> 0: HARD_LEFT, SOFT_LEFT, SOFT_BOTH or NOT_SATURATING
    monotonic: bool
    derivative_at_zero: float  # f'(0), by our convention where it is undefined
    convention: str = ""  # how f'(0) is chosen, when f is not differentiable at 0
    params: dict = field(default_factory=dict, hash=False)
    _grad_from_output: Callable[[Array, Array], Array] | None = field(default=None, repr=False)
    _backprop: Callable[[Array, Array, Array | None], None] | None = field(default=None, repr=False)
    _forward_takes_out: bool = field(default=False, repr=False)  # ``_forward(x, out=...)`` writes into out

    def forward(self, x) -> Array:
        """f(x), elementwise, same floating dtype as x."""
        return self._forward(_as_float(x), **self.params)

    def forward_into(self, x: Array, out: Array) -> Array:
        """f(x) written into ``out`` (a float array of x's shape and dtype), for backprop's preallocated layers."""
        if self._forward_takes_out:
            return self._forward(x, out=out, **self.params)
        out[...] = self._forward(x, **self.params)
        return out

    def derivative(self, x) -> Array:
        """f'(x) with respect to the pre-activation x, elementwise, same dtype as x."""
        return self._derivative(_as_float(x), **self.params)

    def derivative_given_output(self, x: Array, y: Array) -> Array:
        """f'(x) when y = f(x) is already known; cheaper for ReLU, sigmoid and tanh."""
        if self._grad_from_output is not None:
            return self._grad_from_output(x, y)
        return self.derivative(x)

    def backprop(self, grad: Array, x: Array, y: Array, scratch: Array | None = None) -> Array:
        """``grad *= f'(x)`` in place, from y = f(x) where that is cheaper; ``scratch`` (x's shape and dtype), when
        given, holds the derivative instead of a new array. Returns ``grad``."""
        if self._backprop is not None:
            self._backprop(grad, y, scratch)
        else:
            grad *= self.derivative(x)
        return grad

    def __call__(self, x) -> Array:
        return self.forward(x)


ACTIVATIONS: dict[str, Activation] = {}


# One row per activation: its label, output range, zero-centred?, saturation, monotonic?, f'(0) (by the
# convention below where f is not differentiable at 0).
_FACTS = {
    "relu": ("ReLU", "[0, ∞)", False, HARD_LEFT, True, 0.0),
    "leaky_relu": ("Leaky ReLU", "(−∞, ∞)", False, NOT_SATURATING, True, 0.01),
    "sigmoid": ("Sigmoid", "(0, 1)", False, SOFT_BOTH, True, 0.25),
    "tanh": ("Tanh", "(−1, 1)", True, SOFT_BOTH, True, 1.0),
    "linear": ("Linear (none)", "(−∞, ∞)", True, NOT_SATURATING, True, 1.0),
    "elu": ("ELU", "(−α, ∞)", False, SOFT_LEFT, True, 1.0),
    "gelu": ("GELU", "[≈ −0.170, ∞)", False, SOFT_LEFT, False, 0.5),
    "silu": ("SiLU (Swish)", "[≈ −0.278, ∞)", False, SOFT_LEFT, False, 0.5),
    "softplus": ("Softplus", "(0, ∞)", False, SOFT_LEFT, True, 0.5),
}


def register(name, forward, derivative, formula, derivative_formula, **more) -> Activation:
    """Add an activation to the registry, with its facts from ``_FACTS``; each function below is followed by its
    entry."""
    label, output_range, zero_centred, saturating, monotonic, derivative_at_zero = _FACTS[name]
    ACTIVATIONS[name] = Activation(name, label, formula, derivative_formula, forward, derivative,
                                   output_range=output_range, zero_centred=zero_centred, saturating=saturating,
                                   monotonic=monotonic, derivative_at_zero=derivative_at_zero, **more)
    return ACTIVATIONS[name]


def from_output(grad_from_output, backprop) -> dict:
    """An entry's facts for an f' that backprop takes from the output y = f(x) (see below); such an f also writes
    into a given ``out``."""
    return {"_grad_from_output": grad_from_output, "_backprop": backprop, "_forward_takes_out": True}


# --- the functions and their entries ---------------------------------------------------------------------------
# Backprop already holds y = f(x); where f'(x) is cheaper from y than from x, an entry has it twice: as a value
# (``_grad_from_output``), and applied in place to the gradient flowing back (``_backprop``: ``grad *= f'``, as
# scikit-learn's ``inplace_*_derivative``), which needs no temporary the size of the layer but the ``scratch`` it is
# lent.


def relu(x, out=None):
    return np.maximum(x, 0, out=out)


def relu_derivative(x):
    return (x > 0).astype(x.dtype)


def _relu_grad_from_output(x, y):
    return (y > 0).astype(y.dtype)


def _relu_backprop(grad, y, scratch):
    # grad * 1.0 or grad * 0.0, as multiplying by the derivative does (assigning 0 through the mask would turn
    # -0.0 and NaN into 0.0)
    grad *= y > 0


register("relu", relu, relu_derivative, r"f(x) = \max(0, x)",
         r"f'(x) = \begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}",
         convention="not differentiable at 0; we use f′(0) = 0", **from_output(_relu_grad_from_output, _relu_backprop))


def leaky_relu(x, alpha=0.01, out=None):
    # x for x > 0 and αx below is max(x, αx) for α <= 1 and min(x, αx) for α > 1: two passes over memory and no
    # mask, where np.where(x > 0, x, αx) takes four (the mask, αx, the choice, its output).
    scaled = x * alpha  # a new array: ``out`` may be x itself
    return (np.maximum if alpha <= 1 else np.minimum)(x, scaled, out=scaled if out is None else out)


def leaky_relu_derivative(x, alpha=0.01):
    return np.where(x > 0, 1, alpha).astype(x.dtype, copy=False)


register("leaky_relu", leaky_relu, leaky_relu_derivative,
         r"f(x) = \begin{cases} x & x > 0 \\ \alpha x & x \le 0 \end{cases}",
         r"f'(x) = \begin{cases} 1 & x > 0 \\ \alpha & x \le 0 \end{cases}",
         convention="not differentiable at 0; we use f′(0) = α", params={"alpha": 0.01}, _forward_takes_out=True)


def sigmoid(x, out=None):
    # 1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) below: exp only sees -|x|, so it cannot overflow,
    # and small outputs keep full relative precision. Several times faster than scipy's expit.
    # With e = exp(-|x|) and r = 1 / (1 + e), that is r for x >= 0 and r * e below, which is r * max(e, x >= 0)
    # (0 < e <= 1): the same numbers as choosing between the two, without the choice. np.where, or a multiply
    # with where=, cost 6 to 11 ns a value, as much as all the other passes together (float64 here; float32 more).
    nonneg = x >= 0  # before anything is written: ``out`` may be x itself
    e = np.abs(x, out=np.empty_like(x))
    np.negative(e, out=e)
    np.exp(e, out=e)
    out = np.add(e, 1, out=np.empty_like(x) if out is None else out)
    np.divide(1, out, out=out)
    out *= np.maximum(e, nonneg, out=e)
    return out


def sigmoid_derivative(x):
    s = sigmoid(x)
    return s * (1 - s)


def _sigmoid_grad_from_output(x, y):
    return y * (1 - y)


def _sigmoid_backprop(grad, y, scratch):
    d = np.subtract(1, y, out=scratch)
    d *= y
    grad *= d


register("sigmoid", sigmoid, sigmoid_derivative, r"f(x) = \sigma(x) = \frac{1}{1 + e^{-x}}",
         r"f'(x) = \sigma(x)\,(1 - \sigma(x)) \le \tfrac{1}{4}",
         **from_output(_sigmoid_grad_from_output, _sigmoid_backprop))


def tanh(x, out=None):
    return np.tanh(x, out=out)


def tanh_derivative(x):
    t = np.tanh(x)
    return 1 - t * t


def _tanh_grad_from_output(x, y):
    return 1 - y * y


def _tanh_backprop(grad, y, scratch):
    grad *= np.subtract(1, np.square(y, out=scratch), out=scratch)


register("tanh", tanh, tanh_derivative, r"f(x) = \tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}",
         r"f'(x) = 1 - \tanh^2(x) \le 1",
         **from_output(_tanh_grad_from_output, _tanh_backprop))


def linear(x):
    return x.copy()


def linear_derivative(x):
    return np.ones_like(x)


register("linear", linear, linear_derivative, r"f(x) = x",
         r"f'(x) = 1")


def elu(x, alpha=1.0):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)) * alpha)


def elu_derivative(x, alpha=1.0):
    return np.where(x > 0, 1, np.exp(np.minimum(x, 0)) * alpha).astype(x.dtype, copy=False)


register("elu", elu, elu_derivative, r"f(x) = \begin{cases} x & x > 0 \\ \alpha\,(e^{x} - 1) & x \le 0 \end{cases}",
         r"f'(x) = \begin{cases} 1 & x > 0 \\ \alpha\,e^{x} & x \le 0 \end{cases}",
         convention="differentiable at 0 only when α = 1; otherwise we use f′(0) = α", params={"alpha": 1.0})


def gelu(x):
    # x * Phi(x) with Phi(x) = erfc(-x / sqrt 2) / 2: erfc avoids 1 - erf cancelling in float32.
    return x * (erfc(x * -_SQRT_HALF) * 0.5)


def gelu_derivative(x):
    # Phi(x) + x * phi(x); x*x <= 1e8 stays finite in float32, exp of a non-positive number cannot overflow.
    return erfc(x * -_SQRT_HALF) * 0.5 + x * (np.exp(x * x * -0.5) * _INV_SQRT_2PI)


register("gelu", gelu, gelu_derivative,
         r"f(x) = x\,\Phi(x) = \tfrac{x}{2}\,\operatorname{erfc}\!\left(-\tfrac{x}{\sqrt{2}}\right)",
         r"f'(x) = \Phi(x) + x\,\varphi(x)")


def silu(x):
    return x * sigmoid(x)


def silu_derivative(x):
    s = sigmoid(x)
    return s * (1 + x * (1 - s))


register("silu", silu, silu_derivative, r"f(x) = x\,\sigma(x)",
         r"f'(x) = \sigma(x)\,\bigl(1 + x\,(1 - \sigma(x))\bigr)")


def softplus(x):
    return np.logaddexp(0, x)


def softplus_derivative(x):
    return sigmoid(x)


register("softplus", softplus, softplus_derivative, r"f(x) = \ln(1 + e^{x})",
         r"f'(x) = \sigma(x)")


def get_activation(name: str, **params) -> Activation:
    """The registry entry ``name``, with parameters such as ``alpha`` bound.

    Raises ValueError naming the valid choices for an unknown name or parameter.
    """
    if name not in ACTIVATIONS:
        raise ValueError(f"Unknown activation {name!r}. Valid choices: {', '.join(ACTIVATIONS)}.")
    base = ACTIVATIONS[name]
    unknown = set(params) - set(base.params)
    if unknown:
        allowed = ", ".join(base.params) or "none"
        raise ValueError(
            f"Activation {name!r} takes no parameter {', '.join(sorted(unknown))}; its parameters: {allowed}."
        )
    if not params:
        return base
    bound = {**base.params, **{k: float(v) for k, v in params.items()}}
    for key, value in bound.items():
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{base.label}'s {key} must be a finite number >= 0, got {value}.")
    facts = {}
    if name == "leaky_relu":
        facts["derivative_at_zero"] = bound["alpha"]
    elif name == "elu":
        facts["derivative_at_zero"] = bound["alpha"]
        facts["output_range"] = f"(−{bound['alpha']:g}, ∞)"
    return replace(base, params=bound, **facts)

