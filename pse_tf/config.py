"""Run configuration: dataclasses that round-trip to JSON. An unknown key is an error that names
it, so a typo in a config file never silently falls back to a default."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

# Pure modules only: `import pse_tf.config` loads no TensorFlow (tests/test_config.py), so a CLI
# can parse and refuse a config before paying for TensorFlow's start-up.
from pse_tf.data import label_groups
from pse_tf.data.catalog import check_options, parse_spec
from pse_tf.data.datasets import CLASS_NAMES

# Copies of `pse_tf.labels`' ENCODINGS and LEXICONS (a test keeps them equal), so no TensorFlow.
LABEL_ENCODINGS = ("onehot", "word2vec")
LEXICONS = ("none", "wordnet")
LR_SCHEDULES = ("constant", "cosine")
BINARIZATIONS = ("none", "static", "dynamic")
# Keras initializers by name, and "pytorch": PyTorch's nn.Linear default kernel
# (kaiming_uniform(a=sqrt(5)) = U(+-1/sqrt(fan_in))); biases stay zero in every case.
KERNEL_INITIALIZERS = ("glorot_uniform", "glorot_normal", "he_uniform", "he_normal",
                       "lecun_uniform", "lecun_normal", "pytorch")
SCALE_FUNCTIONS = ("softplus", "exp")
STRATEGIES = ("none", "mirrored", "multi_worker")  # pse_tf.distribute builds them


class ConfigError(ValueError):
    """A configuration value or key is invalid."""


def _from_dict(cls, values: dict[str, Any]):
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise ConfigError(
            f"{cls.__name__}: unknown key(s) {unknown}; expected some of {sorted(names)}"
        )
    return cls(**values)


def _check_choices(config, choices):
    for name, allowed in choices:
        if getattr(config, name) not in allowed:
            raise ConfigError(f"{name} must be one of {allowed}, got {getattr(config, name)!r}")


@dataclasses.dataclass
class ModelConfig:
    """Architecture and objective of one model (paper appendix A).

    Args:
        name: str. Registry key of the model (`pse`, `pse_star`, ...).
        latent_dim: int. Size of z. The paper uses 2 (figures), 10 and 20.
        image_dim: int. Flattened image size. 784 for 28x28.
        image_shape: tuple or None. [H, W] (grey) or [H, W, C] (colour) of the images; None is a
            square grey image of `image_dim` pixels. Set from the data by `pse_tf.runs.train`.
        hidden_units: tuple. Encoder MLP widths (784 -> 512 -> 64); the decoder mirrors them.
        classifier_units: tuple. PSE* classifier widths on the reconstruction (eq. 3).
        label_likelihood_scale: float. sigma of N(l | l_hat, sigma^2 I), the PSE* label term for
            word-vector labels (paper §2.1 leaves sigma open).
        options: dict. Model-specific settings, checked by the model (its docstring lists them).
        kernel_initializer: str. Dense kernels' initializer (`KERNEL_INITIALIZERS`; the paper
            does not say; Keras's default glorot_uniform).
        scale_function: str. sigma of every Gaussian encoder from its raw output: `softplus`
            (default) or `exp` (the raw output is log sigma). The paper does not say.
        kl_warmup_steps: int. 0 (the paper: "we do not use warm-up") or the steps over which
            the weight of every KL term rises linearly from 0 to 1 (Sønderby et al., 2016).
        architecture: str. The image networks (`pse_tf.architectures`): `mlp` (the paper's),
            `conv` (beyond the paper) or a name registered with `register_architecture`.
    """

    name: str = "pse_star"
    latent_dim: int = 10
    image_dim: int = 784
    image_shape: tuple | None = None
    hidden_units: tuple = (512, 64)
    classifier_units: tuple = (512, 64)
    label_likelihood_scale: float = 1.0
    options: dict = dataclasses.field(default_factory=dict)
    kernel_initializer: str = "glorot_uniform"
    scale_function: str = "softplus"
    kl_warmup_steps: int = 0
    architecture: str = "mlp"

    def __post_init__(self):
        _check_choices(self, (("kernel_initializer", KERNEL_INITIALIZERS),
                              ("scale_function", SCALE_FUNCTIONS)))
        # The name is checked against the registry (your own architectures too) by
        # `pse_tf.registry.get_architecture`, which `check_options` calls before anything is built.
        if not isinstance(self.architecture, str) or not self.architecture:
            raise ConfigError(f"architecture must be a registered name ('mlp', 'conv', ...), "
                              f"got {self.architecture!r}")
        if int(self.kl_warmup_steps) < 0:
            raise ConfigError(f"kl_warmup_steps must be >= 0, got {self.kl_warmup_steps}")
        self.hidden_units = tuple(int(u) for u in self.hidden_units)
        self.classifier_units = tuple(int(u) for u in self.classifier_units)
        if self.image_shape is not None:
            self.image_shape = tuple(int(d) for d in self.image_shape)
            if len(self.image_shape) not in (2, 3) or self.image_dim != math.prod(self.image_shape):
                raise ConfigError(f"image_shape must be [H, W] or [H, W, C] with H*W*C = image_dim "
                                  f"({self.image_dim}), got {list(self.image_shape)}")
        if self.latent_dim < 1:
            raise ConfigError(f"latent_dim must be >= 1, got {self.latent_dim}")
        if self.label_likelihood_scale <= 0:
            raise ConfigError(
                f"label_likelihood_scale must be > 0, got {self.label_likelihood_scale}"
            )

    def image_hwc(self) -> tuple:
        """(H, W, C) of the images: `image_shape` with C = 1 for grey, else a square grey image
        of `image_dim` pixels (ConfigError if `image_dim` is not square)."""
        if self.image_shape is not None:
            return (*self.image_shape, 1)[:3]
        side = math.isqrt(self.image_dim)
        if side * side != self.image_dim:
            raise ConfigError(f"image_shape is needed: image_dim {self.image_dim} is not square")
        return side, side, 1


@dataclasses.dataclass
class TrainConfig:
    """Everything one training run needs; `to_json`/`from_json` round-trip exactly.

    Args:
        dataset: str. `mnist`, `fashion_mnist`, `folder:PATH`, `arrays:PATH.npz` or `tfds:NAME`
            (`pse_tf.data.catalog`).
        data_options: dict. For your own data: image_size, color_mode, val_fraction,
            test_fraction, split_seed (`pse_tf.data.catalog.DATA_OPTIONS`).
        label_encoding: str. `onehot` or `word2vec` (any pre-trained word vectors).
        word_vectors: str or None. Path of a word2vec/GloVe file; None uses the default GloVe 50-d.
        model: ModelConfig.
        steps: int. Optimiser steps (the paper states 2,000; see the README for the budget used).
        batch_size: int. Minibatch size (paper: 100).
        learning_rate: float. Adam learning rate (paper: 1e-3).
        lr_schedule: str. `constant` (the paper) or `cosine` (decay to 0 over `steps`).
        seed: int. Seeds weights, batching and sampling.
        steps_per_execution: int. Training steps run inside one compiled call.
        checkpoint_every: int. Steps between checkpoints (with validation and history.json); a
            killed run loses at most this many steps.
        keep_weights_at: tuple. Steps (multiples of checkpoint_every) whose weights are also
            kept, in <run>/weights/step-N.weights.h5, for learning curves; () keeps none.
        jit_compile: bool. Compile the training loop with XLA (under a strategy: each
            replica's forward and backward pass; see `pse_tf.distribute`).
        strategy: str. `none` (one device), `mirrored` (the local GPUs) or `multi_worker`
            (several processes or hosts, TF_CONFIG); `batch_size` stays the global batch.
        mixed_precision: bool. Compute in bfloat16 with float32 weights; GPUs only.
        generation_repeats: int. Repeats of the generation-accuracy protocol (paper: 10).
        generation_samples_per_label: int. Samples per label per repeat (paper: 10,000).
        binarize: str. `none` (grey levels in [0, 1]), `static` (each split replaced once by a
            fixed Bernoulli draw of its pixels) or `dynamic` (a fresh draw of each training
            batch; validation and test as `static`). The paper does not say.
        out: str. Parent folder of the run directory.
        label_neighbours: int. 0 (the paper): each class trains on its name's vector only. k > 0:
            each example draws its label vector uniformly among its class name's and its k
            neighbour words' (`pse_tf.labels.neighbours`); word-vector labels, PSE models.
        label_name_share: float or None. With label_neighbours: the probability of training on
            the class name's own vector (None: uniform). The paper's metrics read only the
            names' vectors, so a share keeps them from being starved.
        held_out_classes: tuple. Class indices removed from every split (zero-shot studies);
            the others are renumbered 0..S-1 in order. () keeps every class.
        lexicon: str. `none` or `wordnet`: word-vector labels retrofitted to WordNet 3.0
            (`pse_tf.labels.lexicon`; Faruqui et al., 2015); word-vector labels only.
        label_groups: dict. {label: [class, ...]}: the data set's classes mapped onto fewer
            labels, each group's name its label (with word vectors, its phrase); a class in no
            group keeps its own label (`pse_tf.data.label_groups`). {} keeps every class.
    """

    dataset: str = "fashion_mnist"
    label_encoding: str = "word2vec"
    word_vectors: str | None = None
    model: ModelConfig = dataclasses.field(default_factory=ModelConfig)
    steps: int = 20000
    batch_size: int = 100
    learning_rate: float = 1e-3
    lr_schedule: str = "constant"
    seed: int = 0
    steps_per_execution: int = 100
    checkpoint_every: int = 5000
    keep_weights_at: tuple = ()
    jit_compile: bool = True
    strategy: str = "none"
    mixed_precision: bool = False
    generation_repeats: int = 10
    generation_samples_per_label: int = 10000
    out: str = "runs"
    data_options: dict = dataclasses.field(default_factory=dict)
    binarize: str = "none"
    label_neighbours: int = 0
    label_name_share: float | None = None
    held_out_classes: tuple = ()
    lexicon: str = "none"
    label_groups: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        if isinstance(self.model, dict):
            self.model = _from_dict(ModelConfig, self.model)
        try:
            parse_spec(self.dataset)
            check_options(self.data_options)
            self.label_groups = label_groups.check(self.label_groups or {})
        except ValueError as e:
            raise ConfigError(str(e)) from None
        _check_choices(self, (("label_encoding", LABEL_ENCODINGS),))
        for name in ("steps", "batch_size", "steps_per_execution", "checkpoint_every",
                     "generation_repeats", "generation_samples_per_label"):
            if int(getattr(self, name)) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        self.keep_weights_at = tuple(sorted(int(s) for s in self.keep_weights_at))
        if any(s < 1 or s % self.checkpoint_every for s in self.keep_weights_at):
            raise ConfigError(f"keep_weights_at must be positive multiples of checkpoint_every "
                              f"({self.checkpoint_every}), got {list(self.keep_weights_at)}")
        _check_choices(self, (("lr_schedule", LR_SCHEDULES), ("binarize", BINARIZATIONS),
                              ("strategy", STRATEGIES)))
        if isinstance(self.label_neighbours, bool) or not isinstance(self.label_neighbours, int) \
                or self.label_neighbours < 0:
            raise ConfigError(
                f"label_neighbours must be an int >= 0, got {self.label_neighbours!r}")
        if self.label_neighbours and self.label_encoding != "word2vec":
            raise ConfigError("label_neighbours needs word-vector labels (label_encoding "
                              f"word2vec), got {self.label_encoding!r}")
        if self.label_name_share is not None and not 0 <= self.label_name_share <= 1:
            raise ConfigError(f"label_name_share must be in [0, 1] or None, got "
                              f"{self.label_name_share!r}")
        if self.learning_rate <= 0:
            raise ConfigError(f"learning_rate must be > 0, got {self.learning_rate}")
        held = list(self.held_out_classes)
        if any(isinstance(c, bool) or not isinstance(c, int) or c < 0 for c in held) \
                or len(set(held)) != len(held):
            raise ConfigError(f"held_out_classes must be distinct class indices >= 0, got {held!r}")
        self.held_out_classes = tuple(sorted(held))
        if self.label_groups and self.dataset in CLASS_NAMES:
            # The built-in data sets' classes are known now: a bad group fails before any work.
            names = [n for i, n in enumerate(CLASS_NAMES[self.dataset]) if i not in held]
            try:
                label_groups.LabelGroups.build(self.label_groups, names)
            except ValueError as e:
                raise ConfigError(str(e)) from None
        _check_choices(self, (("lexicon", LEXICONS),))
        if self.lexicon != "none" and self.label_encoding != "word2vec":
            raise ConfigError(f"lexicon {self.lexicon!r} needs word-vector labels "
                              f"(label_encoding word2vec), got {self.label_encoding!r}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self, path: str | Path | None = None) -> str:
        text = json.dumps(self.to_dict(), indent=2, sort_keys=True)
        if path is not None:
            Path(path).write_text(text + "\n")
        return text

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "TrainConfig":
        return _from_dict(cls, dict(values))

    @classmethod
    def from_json(cls, text_or_path: str | Path) -> "TrainConfig":
        text = str(text_or_path)
        if not text.lstrip().startswith("{"):
            text = Path(text_or_path).read_text()
        return cls.from_dict(json.loads(text))
