"""An experiment: a dataset, the activations to compare and the training settings they share.

The Arena's widgets fill one ``Experiment``; the CLI and shared links build the same object, so
every way into the lab runs the same configs. ``configs()`` expands it into one ``TrainConfig``
per (activation, seed): all of them see identical data, identical initial draws per seed and
identical batches per seed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from core.engine.data import check_dataset_args, check_split_args, load_dataset
from core.engine.limits import MAX_SEEDS
from core.engine.training import TrainConfig

UPLOAD = "upload"  # the user's own table: the data comes with the run (LiveRun(..., dataset=...)), not from a name
OPTIMIZER_CHOICES = {"sgd": ("sgd", 0.0), "momentum": ("sgd", 0.9), "adam": ("adam", 0.0)}


@dataclass(frozen=True)
class Experiment:
    dataset: str = "moons"
    n_samples: int = 500
    noise: float = 0.2
    test_size: float = 0.25
    activations: tuple[str, ...] = ("relu", "sigmoid", "tanh")
    hidden_layers: tuple[int, ...] = (16, 16)
    init: str = "auto"
    bias_init: float = 0.0
    optimizer: str = "sgd"  # "sgd", "momentum" (SGD with 0.9) or "adam"
    learning_rate: float = 0.1
    batch_size: int = 32
    epochs: int = 200
    l2: float = 0.0
    seeds: int = 1
    first_seed: int = 0
    leaky_alpha: float = 0.01
    elu_alpha: float = 1.0
    maxout_pieces: int = 2

    def __post_init__(self):
        activations = (self.activations,) if isinstance(self.activations, str) else self.activations
        for name, value in (("activations", activations), ("hidden_layers", self.hidden_layers)):
            if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
                raise ValueError(f"{name} must be a list.")
        if not all(isinstance(a, str) for a in activations):
            raise ValueError("activations must be a list of activation names.")
        object.__setattr__(self, "activations", tuple(activations))
        object.__setattr__(self, "hidden_layers", tuple(self.hidden_layers))
        if self.dataset == UPLOAD:
            check_split_args(self.test_size, self.first_seed)
        else:
            check_dataset_args(self.dataset, self.n_samples, self.noise, self.test_size, self.first_seed)
        for name in ("leaky_alpha", "elu_alpha"):
            value = getattr(self, name)
            # Checked even when unused: the experiment is exported and shared as a whole.
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 10:
                raise ValueError(f"{name} must be a number in [0, 10].")
        if isinstance(self.maxout_pieces, bool) or self.maxout_pieces not in range(2, 9):
            raise ValueError("maxout_pieces must be a whole number from 2 to 8.")
        if not self.activations:
            raise ValueError("Choose at least one activation to train.")
        if len(set(self.activations)) != len(self.activations):
            raise ValueError("Each activation may be chosen once.")
        if isinstance(self.seeds, bool) or not isinstance(self.seeds, int) or not 1 <= self.seeds <= MAX_SEEDS:
            raise ValueError(f"seeds must be a whole number from 1 to {MAX_SEEDS}.")
        if self.optimizer not in OPTIMIZER_CHOICES:
            raise ValueError(f"Unknown optimizer {self.optimizer!r}. Valid choices: {', '.join(OPTIMIZER_CHOICES)}.")
        self.configs()  # every TrainConfig validates itself

    @property
    def seed_list(self) -> list[int]:
        return list(range(self.first_seed, self.first_seed + self.seeds))

    def config(self, activation: str, seed: int) -> TrainConfig:
        optimizer, momentum = OPTIMIZER_CHOICES[self.optimizer]
        alpha = {"leaky_relu": self.leaky_alpha, "elu": self.elu_alpha}.get(activation)
        return TrainConfig(
            activation=activation, hidden_layers=self.hidden_layers, epochs=self.epochs,
            batch_size=self.batch_size, learning_rate=self.learning_rate, optimizer=optimizer,
            momentum=momentum, l2=self.l2, init=self.init, bias_init=self.bias_init, seed=seed,
            maxout_pieces=self.maxout_pieces, alpha=alpha,
        )

    def configs(self) -> list[TrainConfig]:
        """One config per (activation, seed), activation-major: run index = a * seeds + s."""
        return [self.config(a, s) for a in self.activations for s in self.seed_list]

    def load_data(self):
        if self.dataset == UPLOAD:
            raise ValueError("An uploaded dataset cannot be reloaded; upload it again.")
        return load_dataset(self.dataset, n_samples=self.n_samples, noise=self.noise, test_size=self.test_size,
                            seed=self.first_seed)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["activations"] = list(self.activations)
        data["hidden_layers"] = list(self.hidden_layers)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Experiment:
        """Build from plain data (JSON, a link); unknown keys raise, missing keys take defaults."""
        if not isinstance(data, dict):
            raise ValueError("An experiment must be a mapping of settings.")
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"Unknown experiment setting(s): {', '.join(sorted(map(str, unknown)))}.")
        try:
            return cls(**data)
        except TypeError as error:  # a value of the wrong kind deep inside a config
            raise ValueError(f"Invalid experiment setting: {error}") from error

