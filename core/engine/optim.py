"""Optimisers and learning-rate schedules.

Each optimiser is a small object holding its own state and updating the parameters in place.
Parameters may carry a leading model axis (a stack of networks trained in lockstep); the
update is elementwise, so it does not care, and ``reset(model)`` clears one model's state.
"""

from __future__ import annotations

import math

import numpy as np

OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("constant", "step", "cosine")


class SGD:
    """Plain SGD, or SGD with (optionally Nesterov) momentum as scikit-learn's MLP does it."""

    def __init__(self, params, momentum: float = 0.0, nesterov: bool = False):
        self.momentum = momentum
        self.nesterov = nesterov
        self.velocity = [np.zeros_like(p) for p in params] if momentum else []

    def step(self, params, grads, lr: float) -> None:
        """One update; ``grads`` are used as scratch space."""
        if not self.momentum:
            for p, g in zip(params, grads, strict=True):
                g *= lr
                p -= g
            return
        for p, g, v in zip(params, grads, self.velocity, strict=True):
            g *= lr
            v *= self.momentum
            v -= g
            if self.nesterov:
                p += self.momentum * v
                p -= g
            else:
                p += v

    def reset(self, model: int) -> None:
        for v in self.velocity:
            v[model] = 0

    def state(self) -> dict:
        """Plain data: copies of the velocities (none without momentum)."""
        return {"velocity": [v.copy() for v in self.velocity]}

    def load_state(self, state: dict) -> None:
        for v, saved in zip(self.velocity, state["velocity"], strict=True):
            v[...] = saved


class Adam:
    """Adam (Kingma & Ba, 2015) with bias correction."""

    def __init__(self, params, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, params, grads, lr: float) -> None:
        self.t += 1
        step_size = lr * math.sqrt(1 - self.beta2**self.t) / (1 - self.beta1**self.t)
        for p, g, m, v in zip(params, grads, self.m, self.v, strict=True):
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            g *= g
            g *= 1 - self.beta2
            v += g
            p -= step_size * m / (np.sqrt(v) + self.eps)

    def reset(self, model: int) -> None:
        for state in (*self.m, *self.v):
            state[model] = 0

    def state(self) -> dict:
        """Plain data: copies of the moment estimates and the step count."""
        return {"m": [m.copy() for m in self.m], "v": [v.copy() for v in self.v], "t": self.t}

    def load_state(self, state: dict) -> None:
        for mine, saved in zip((*self.m, *self.v), (*state["m"], *state["v"]), strict=True):
            mine[...] = saved
        self.t = int(state["t"])


def make_optimizer(name: str, params, momentum: float = 0.0, nesterov: bool = False):
    if name == "sgd":
        return SGD(params, momentum, nesterov)
    if name == "adam":
        return Adam(params)
    raise ValueError(f"Unknown optimizer {name!r}. Valid choices: {', '.join(OPTIMIZERS)}.")


def phased_learning_rate(base: float, epoch: int, phases: tuple[int, ...], schedule: str = "constant",
                         step_size: int = 50, gamma: float = 0.5) -> float:
    """The learning rate during ``epoch`` (1-based) of a run planned in ``phases``: its epochs as first asked for,
    then each "train N more epochs" (``MultiTrainer.extend``).

    What more epochs mean for a schedule: constant and step depend on the epoch alone, so a run extended from E to
    E + N epochs trains exactly as one planned for E + N. Cosine anneals over a planned length and has reached about
    0 at its end, so each extension is a new cosine cycle over its own N epochs, from the base rate down (a warm
    restart, as SGDR, Loshchilov & Hutter 2017); "as if planned for E + N from the start" cannot be had, since the
    first E epochs were already trained on the shorter cycle. With one phase this is ``scheduled_learning_rate``.
    """
    if schedule != "cosine":
        return scheduled_learning_rate(base, epoch, sum(phases), schedule, step_size, gamma)
    start = 0
    for length in phases[:-1]:
        if epoch <= start + length:
            break
        start += length
    else:
        length = phases[-1]
    return scheduled_learning_rate(base, epoch - start, length, schedule, step_size, gamma)


def scheduled_learning_rate(
    base: float, epoch: int, epochs: int, schedule: str = "constant", step_size: int = 50, gamma: float = 0.5
) -> float:
    """The learning rate used during ``epoch`` (1-based) of ``epochs``."""
    if schedule == "constant":
        return base
    if schedule == "step":
        return base * gamma ** ((epoch - 1) // step_size)
    if schedule == "cosine":
        return base * 0.5 * (1 + math.cos(math.pi * (epoch - 1) / epochs))
    raise ValueError(f"Unknown schedule {schedule!r}. Valid choices: {', '.join(SCHEDULES)}.")
