"""What a grid of runs is: a base TrainConfig expanded over fields, model options and seeds, and
validated before anything runs (`pse_tf.grids` runs it)."""

from __future__ import annotations

import dataclasses
import itertools
from typing import Iterable

from pse_tf.config import ConfigError, ModelConfig, TrainConfig
from pse_tf.run_folder import run_name

_TRAIN_FIELDS = {f.name for f in dataclasses.fields(TrainConfig)} - {"model"}
_MODEL_FIELDS = {f.name for f in dataclasses.fields(ModelConfig)} - {"name", "options"}


def expand(base: TrainConfig, grid: dict | None = None, seeds: int | Iterable[int] | None = None
           ) -> list[TrainConfig]:
    """Every combination of `grid`'s values applied to `base`, for each seed; validated.

    Args:
        base: TrainConfig. What every run shares.
        grid: dict. Key -> list of values. A key is `model` (the model's registry name), a
            TrainConfig field (`steps`, `learning_rate`, ...), a ModelConfig field (`latent_dim`
            or `model.latent_dim`), or a model option (`alpha` or `options.alpha`).
        seeds: int n (seeds 0..n-1), a list of seeds, or None (`base.seed` only, unless the
            grid names `seed`).

    Raises:
        ConfigError: an unknown key, model or option, or a value the config or the model
            refuses; the message names it. Nothing is trained or written.
    """
    grid = dict(grid or {})
    for key, values in grid.items():
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            raise ConfigError(f"grid: {key!r} needs a list of values, got {values!r}")
        grid[key] = list(values)
        if not grid[key]:
            raise ConfigError(f"grid: {key!r} has no values")
    if seeds is not None:
        if "seed" in grid:
            raise ConfigError("grid: give the seeds either as `seed` in the grid or as `seeds`")
        grid["seed"] = list(range(seeds)) if isinstance(seeds, int) else list(seeds)
        if not grid["seed"]:
            raise ConfigError("grid: no seeds")
    keys = list(grid)
    configs = []
    for values in itertools.product(*(grid[k] for k in keys)):
        settings = base.to_dict()
        for key, value in zip(keys, values):
            _apply(settings, key, value)
        try:
            configs.append(TrainConfig.from_dict(settings))
        except ConfigError as e:
            raise ConfigError(f"grid {dict(zip(keys, values))}: {e}") from None
        except (TypeError, ValueError) as e:
            raise ConfigError(f"grid {dict(zip(keys, values))}: {e}") from None
    return validate(configs)


def _path(key: str) -> tuple[str, ...]:
    """Where a grid key lives in a TrainConfig dict (see `expand` for the keys)."""
    if key == "model" or key == "model.name":
        return ("model", "name")
    if key in _TRAIN_FIELDS:
        return (key,)
    if key.removeprefix("model.") in _MODEL_FIELDS:
        return ("model", key.removeprefix("model."))
    if key.startswith("options.") or "." not in key and key not in ("name", "options"):
        # Any other plain name is a model option, checked against the model by `validate`.
        return ("model", "options", key.removeprefix("options."))
    raise ConfigError(f"grid: unknown key {key!r}; expected model, a TrainConfig field, a "
                      "ModelConfig field (model.FIELD) or a model option (options.NAME)")


def _apply(settings: dict, key: str, value):
    """Set one grid key in a TrainConfig dict."""
    *parents, last = _path(key)
    for part in parents:
        settings = settings[part]
    settings[last] = value


def setting(config: TrainConfig, keys: Iterable[str]) -> dict:
    """The values of the grid's `keys` in one of its configs, each under the key as named."""
    values = {}
    for key in keys:
        value = config.to_dict()
        for part in _path(key):
            value = value[part]
        values[key] = value
    return values


def validate(configs: Iterable[TrainConfig]) -> list[TrainConfig]:
    """The configs, each checked against its model before anything runs: the model is
    registered, every option is one it declares and every value one it accepts; no two runs
    share a run folder.

    Raises:
        ConfigError: one line naming the run and what is wrong.
    """
    from pse_tf.models import get_model_class, model_names

    configs, seen = list(configs), {}
    if not configs:
        raise ConfigError("grid: no runs")
    for config in configs:
        if not isinstance(config, TrainConfig):
            raise ConfigError(f"grid: expected TrainConfig, got {type(config).__name__}")
        try:
            model = get_model_class(config.model.name)
        except KeyError:
            raise ConfigError(f"grid: unknown model {config.model.name!r}; expected one of "
                              f"{', '.join(model_names())}") from None
        model.check_options(config.model)
        name = run_name(config)
        if name in seen:
            raise ConfigError(f"grid: two runs share the run folder {name!r}; make them differ "
                              "(a seed, an option) or drop one")
        seen[name] = config
    return configs
