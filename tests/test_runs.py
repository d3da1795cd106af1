"""A run directory's life: config checks, the whole job on real data, reuse, and load_run."""

import json

import numpy as np
import pytest

from pse_tf import runs
from pse_tf.config import ConfigError, ModelConfig, TrainConfig
from pse_tf.data import load_dataset
from pse_tf.evaluation.metrics import annotation_accuracy
from pse_tf.run_folder import EVALUATION_KEYS, finished_run, prepare_run_dir
from pse_tf.runs import load_run, train


def test_run_dir_with_another_config_is_not_overwritten(tmp_path):
    config = TrainConfig(dataset="mnist", steps=10)
    prepare_run_dir(config, tmp_path / "run", overwrite=False)
    other = TrainConfig(dataset="mnist", steps=10, seed=1)
    with pytest.raises(FileExistsError, match="seed"):
        prepare_run_dir(other, tmp_path / "run", overwrite=False)
    prepare_run_dir(other, tmp_path / "run", overwrite=True)
    # Evaluation settings and a longer constant-rate budget reuse the run.
    prepare_run_dir(TrainConfig(dataset="mnist", steps=20, seed=1, generation_repeats=1),
                    tmp_path / "run", overwrite=False)


def test_unknown_option_is_refused_before_the_run_dir_exists(tmp_path):
    config = TrainConfig(dataset="mnist", steps=10, out=str(tmp_path),
                         model=ModelConfig(name="pse", options={"alpha": 1}))
    with pytest.raises(ConfigError, match="'pse'.*alpha.*allowed: kl_samples, label_components, label_covariance, label_weight_decay"):
        train(config, verbose=0, export=False)
    assert not any(tmp_path.iterdir())


def test_train_makes_its_run_context_once_and_checks_the_config_there(tmp_path, monkeypatch):
    """The strategy is made, the batch and mixed precision checked, the chief decided once, at
    the start of `train`; the training loop reads the context and checks nothing again."""
    from pse_tf import distribute

    calls = {}

    def counted(name):
        original = getattr(distribute, name)

        def wrapper(*args, **kwargs):
            calls[name] = calls.get(name, 0) + 1
            return original(*args, **kwargs)

        monkeypatch.setattr(distribute, name, wrapper)

    for name in ("create_strategy", "check_batch_size", "check_mixed_precision", "is_chief"):
        counted(name)
    config = TrainConfig(dataset="mnist", label_encoding="onehot", steps=20,
                         steps_per_execution=10, checkpoint_every=10,
                         model=ModelConfig(name="pse", hidden_units=(32, 16)), out=str(tmp_path))
    result = train(config, verbose=0, run_evaluation=False, export=False)
    assert result.history["step"] == [10, 20]
    assert calls == {"create_strategy": 1, "check_batch_size": 1, "check_mixed_precision": 1,
                     "is_chief": 1}


@pytest.mark.parametrize("options", [{}, {"label_covariance": "full"}], ids=["diag", "full"])
def test_load_run_rebuilds_the_finished_model(tmp_path, options):
    config = TrainConfig(dataset="mnist", label_encoding="onehot", steps=200, seed=3,
                         model=ModelConfig(name="pse_star", options=options), out=str(tmp_path))
    result = train(config, verbose=0, run_evaluation=False, export=False)
    test = load_dataset("mnist")
    images, labels = test.test_images[:1000], test.test_labels[:1000]
    after_training = annotation_accuracy(result.model, images, labels)
    assert finished_run(config) == result.run_dir

    model, loaded_config, encoding = load_run(result.run_dir)
    assert loaded_config == config and type(model) is type(result.model)
    assert encoding.class_names == result.model.class_names
    assert annotation_accuracy(model, images, labels) == after_training
    for a, b in zip(model.weights, result.model.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    longer = TrainConfig.from_dict({**config.to_dict(), "steps": 400})
    assert finished_run(longer) is None  # another budget is another model


def test_load_run_names_what_is_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a run directory"):
        load_run(tmp_path)
    config = TrainConfig(dataset="mnist", steps=10)
    prepare_run_dir(config, tmp_path / "run", overwrite=False)
    with pytest.raises(FileNotFoundError, match="has not finished.*--run-dir"):
        load_run(tmp_path / "run")


@pytest.mark.slow
@pytest.mark.parametrize("dataset,encoding", [("mnist", "onehot"), ("fashion_mnist", "word2vec")])
def test_end_to_end_on_real_data_beats_chance(tmp_path, dataset, encoding):
    config = TrainConfig(dataset=dataset, label_encoding=encoding, steps=400, seed=0,
                         model=ModelConfig(name="pse_star"), generation_repeats=2,
                         generation_samples_per_label=1000, out=str(tmp_path / "runs"))
    result = train(config, verbose=0, export_dir=tmp_path / "exported")
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    assert metrics["annotation_accuracy"] >= 0.6        # chance is 0.1
    assert metrics["generation_accuracy"] >= 0.2        # chance is 0.1; ~0.3-0.45 at 400 steps
    assert metrics["reconstruction_error"] < 320        # an untrained decoder scores ~545
    for name in ("config.json", "history.json", "samples.png", "model.weights.h5",
                 "checkpoints", "status.json"):
        assert (result.run_dir / name).exists(), name
    assert any((result.run_dir / "logs" / "validation").iterdir())
    assert (tmp_path / "exported").exists() and metrics["export"]


@pytest.mark.slow
def test_finished_run_reuses_its_metrics_unless_the_protocol_changes(tmp_path, monkeypatch):
    config = TrainConfig(dataset="mnist", steps=100, model=ModelConfig(name="pse"),
                         generation_repeats=1, generation_samples_per_label=100,
                         out=str(tmp_path))
    first = train(config, verbose=0, export=False)
    calls = []

    def fake_evaluate(model, dataset, cfg, verbose=1, run_dir=None):
        calls.append(cfg.generation_repeats)
        return {k: -1.0 for k in EVALUATION_KEYS}

    monkeypatch.setattr(runs, "evaluate", fake_evaluate)
    again = train(config, verbose=0, export=False)
    assert calls == []
    assert {k: again.metrics[k] for k in EVALUATION_KEYS} == \
        {k: first.metrics[k] for k in EVALUATION_KEYS}
    other = TrainConfig.from_dict({**config.to_dict(), "generation_repeats": 2})
    assert train(other, verbose=0, export=False).metrics["generation_accuracy"] == -1.0
    assert calls == [2]


@pytest.mark.parametrize("mode", ["static", "dynamic"])
def test_binarised_runs_score_a_fixed_draw_of_the_test_set(mode):
    from pse_tf.runs import load_data

    grey, _ = load_data(TrainConfig(dataset="mnist", label_encoding="onehot"))
    data, _ = load_data(TrainConfig(dataset="mnist", label_encoding="onehot", binarize=mode))
    again, _ = load_data(TrainConfig(dataset="mnist", label_encoding="onehot", binarize=mode))
    for split in ("val_images", "test_images"):
        assert set(np.unique(getattr(data, split))) == {0, 255}
        np.testing.assert_array_equal(getattr(data, split), getattr(again, split))
    # static: the training set is one fixed draw too; dynamic: it stays grey for the loop.
    assert (set(np.unique(data.train_images)) == {0, 255}) == (mode == "static")
    np.testing.assert_array_equal(data.test_labels, grey.test_labels)
    assert abs(data.test_images.mean() - grey.test_images.mean()) < 1.0
