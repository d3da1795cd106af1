"""The training loop: batching and exact resume, in one stage and across two."""

import numpy as np
import pytest

from pse_tf.config import ModelConfig, TrainConfig
from pse_tf.data import load_dataset
from pse_tf.labels import LabelEncoding
from pse_tf.distribute import RunContext
from pse_tf.training import EpochBatches, build_model, fit


def test_epoch_batches_cover_each_epoch_once_and_are_a_function_of_the_step():
    batches = EpochBatches(num_examples=20, batch_size=5, seed=3)
    epoch0 = batches(0, 4)
    assert sorted(epoch0.ravel().tolist()) == list(range(20))
    assert not np.array_equal(batches(4, 4), epoch0)  # the next epoch is reshuffled
    np.testing.assert_array_equal(EpochBatches(20, 5, 3)(6, 3), batches(0, 12)[6:9])


def test_batch_larger_than_the_data_is_refused():
    with pytest.raises(ValueError, match="exceeds"):
        EpochBatches(10, 11, 0)


def _assert_same_weights(a, b):
    for x, y in zip(a.weights, b.weights):
        np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-5, atol=1e-6)


def _uninterrupted(config, run_dir):
    """The reference a resumed run must match: the same config trained in one go."""
    model = _mnist_model(config)
    _fit(model, config, load_dataset("mnist"), run_dir)
    return model


def _mnist_model(config):
    encoding = LabelEncoding.build(load_dataset("mnist").class_names, "onehot")
    return build_model(config, encoding, RunContext.create(config))


def _fit(model, config, dataset, run_dir):
    return fit(model, config, dataset, RunContext.create(config, run_dir), verbose=0)


def test_resumed_run_equals_uninterrupted_run(tmp_path):
    dataset = load_dataset("mnist")
    config = TrainConfig(dataset="mnist", label_encoding="onehot", steps=40, steps_per_execution=20,
                         checkpoint_every=20, model=ModelConfig(name="pse_star"), seed=5)
    straight = _uninterrupted(config, tmp_path / "a")

    (tmp_path / "b").mkdir()
    first = _mnist_model(config)
    half = TrainConfig.from_dict({**config.to_dict(), "steps": 20})
    _fit(first, half, dataset, tmp_path / "b")
    resumed = _mnist_model(config)  # a fresh process would rebuild the model like this
    history = _fit(resumed, config, dataset, tmp_path / "b")
    assert history["step"] == [20, 40]
    _assert_same_weights(straight, resumed)


def test_two_stage_model_resumes_at_the_stage_boundary(tmp_path, monkeypatch):
    """SCAN interrupted right after its first stage resumes into the second stage and ends where
    the uninterrupted run ends (the boundary checkpoint holds stage 1's optimizer, unused later)."""
    import pse_tf.training as training

    dataset = load_dataset("mnist")
    config = TrainConfig(dataset="mnist", label_encoding="onehot", steps=20, steps_per_execution=20,
                         checkpoint_every=20, model=ModelConfig(name="scan"), seed=2)
    straight = _uninterrupted(config, tmp_path / "a")

    (tmp_path / "b").mkdir()
    original = training.InGraphLoop.run

    def interrupt_in_stage_two(self, start, count):
        if self.model.stage == "symbols":
            raise KeyboardInterrupt
        return original(self, start, count)

    monkeypatch.setattr(training.InGraphLoop, "run", interrupt_in_stage_two)
    with pytest.raises(KeyboardInterrupt):
        _fit(_mnist_model(config), config, dataset, tmp_path / "b")
    monkeypatch.setattr(training.InGraphLoop, "run", original)
    resumed = _mnist_model(config)
    history = _fit(resumed, config, dataset, tmp_path / "b")
    assert history["stage"] == ["beta_vae", "symbols"]
    _assert_same_weights(straight, resumed)


def test_dynamic_binarisation_draws_0_1_batches_and_resumes_exactly(tmp_path):
    from pse_tf.training import InGraphLoop
    import tensorflow as tf

    dataset = load_dataset("mnist")
    config = TrainConfig(dataset="mnist", label_encoding="onehot", steps=40, steps_per_execution=20,
                         checkpoint_every=20, model=ModelConfig(name="pse"), seed=2,
                         binarize="dynamic")
    model = _mnist_model(config)
    loop = InGraphLoop(model, RunContext(), dataset.train_images[:100],
                       dataset.train_labels[:100], 100, 0, binarize=True)
    rows = tf.range(100)
    x, y = loop._batch_images(loop.images, rows), loop._batch_images(loop.images, rows)
    assert set(np.unique(x.numpy())) == {0.0, 1.0}
    assert not np.array_equal(x, y)  # a fresh draw each step
    grey = dataset.train_images[:100] / 255.0
    assert float(np.mean(x)) == pytest.approx(grey.mean(), abs=0.01)

    straight = _uninterrupted(config, tmp_path / "a")
    (tmp_path / "b").mkdir()
    half = TrainConfig.from_dict({**config.to_dict(), "steps": 20})
    _fit(_mnist_model(config), half, dataset, tmp_path / "b")
    resumed = _mnist_model(config)
    _fit(resumed, config, dataset, tmp_path / "b")
    _assert_same_weights(straight, resumed)
    grey_run = _uninterrupted(TrainConfig.from_dict({**config.to_dict(), "binarize": "none"}),
                              tmp_path / "c")
    assert not np.allclose(grey_run.trainable_weights[0].numpy(),
                           straight.trainable_weights[0].numpy())


def test_build_model_attaches_the_neighbour_phrases():
    from pse_tf.data import CLASS_NAMES
    from pse_tf.labels.neighbours import training_phrases
    from pse_tf.run_folder import run_name

    encoding = LabelEncoding.build(CLASS_NAMES["fashion_mnist"], "word2vec")
    config = TrainConfig(label_neighbours=4, label_name_share=0.5,
                         model=ModelConfig(latent_dim=2, hidden_units=(8,), classifier_units=(8,)))
    model = build_model(config, encoding, RunContext.create(config))
    table, counts = model.training_phrases.table, model.training_phrases.counts
    extra = training_phrases(encoding, 4)
    np.testing.assert_array_equal(counts, [1 + len(words) for words in extra])
    np.testing.assert_array_equal(table[:, 0], encoding.vectors)
    trouser = encoding.class_names.index("trouser")
    assert "trousers" in extra[trouser]  # owned by rank, not by the hub "shirt"
    np.testing.assert_allclose(table[trouser, 1 + extra[trouser].index("trousers")],
                               encoding.encode(["trousers"])[0])
    assert model.training_phrases.name_share == 0.5
    assert run_name(config).endswith("-neighbours4-share0.5")
    plain = TrainConfig(model=config.model)
    assert build_model(plain, encoding, RunContext.create(plain)).training_phrases is None


def test_fit_refuses_a_context_without_a_run_directory():
    config = TrainConfig(dataset="mnist", label_encoding="onehot", steps=20)
    model = _mnist_model(config)
    with pytest.raises(ValueError, match="fit needs a RunContext with a run_dir"):
        fit(model, config, load_dataset("mnist"), RunContext.create(config))
