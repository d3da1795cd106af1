"""The generation-accuracy evaluator of your own data set, trained beside the run.

Evaluators are committed for MNIST and Fashion-MNIST only. For other data a small ResNet of the
Fashion-MNIST family (a stride-2 stem, two residual blocks) is trained on the run's training
split as the committed ones are (`evaluator_training._compile`), keeping the best validation
epoch: float32 images [N, H, W(, C)] in [0, 1] -> logits [N, K]. It is saved as
`<run_dir>/evaluator.keras` (record: `evaluator.json`) and reused; its test accuracy is reported
beside the generation accuracy, whose meaning it bounds.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import keras
import numpy as np

from pse_tf.data import flat_float

EVALUATOR_FILE = "evaluator.keras"
EVALUATOR_RECORD = "evaluator.json"
DEFAULTS = dict(epochs=15, batch_size=64, learning_rate=3e-3, weight_decay=0.05)


def build_own_evaluator(image_shape, num_classes: int, width: int = 24) -> keras.Model:
    """Small ResNet [N, *image_shape] -> logits [N, num_classes]."""
    from keras import layers

    from pse_tf.evaluation.evaluators import _conv_bn, _residual_block

    image_shape = tuple(int(d) for d in image_shape)
    inputs = keras.Input(image_shape, name="images")
    x = inputs if len(image_shape) == 3 else layers.Reshape(image_shape + (1,),
                                                            name="channels")(inputs)
    x = _conv_bn(x, width, 3, 2, relu=True, name="stem")
    x = _residual_block(x, width, 1, name="block0")
    x = _residual_block(x, 2 * width, 2, name="block1")
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = layers.Dense(int(num_classes), name="logits")(x)
    return keras.Model(inputs, outputs, name="own_resnet")


def _float(images) -> np.ndarray:
    return flat_float(images).numpy().reshape(images.shape)


def _accuracy(model, images, labels) -> float:
    logits = model.predict(_float(images), batch_size=500, verbose=0)
    return float(np.mean(np.argmax(logits, -1) == np.asarray(labels)))


def train_own_evaluator(dataset, seed: int = 0, verbose: int = 0, **hyperparameters):
    """Trains the evaluator on `dataset`'s training split (any image shape and class count);
    (model, record). `hyperparameters` override `DEFAULTS`."""
    from pse_tf.evaluation.evaluator_training import _compile

    unknown = sorted(set(hyperparameters) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"unknown hyperparameter(s) {unknown}; expected some of {sorted(DEFAULTS)}")
    hp = {**DEFAULTS, **hyperparameters}
    keras.utils.set_random_seed(seed)
    start = time.perf_counter()
    shape = dataset.train_images.shape[1:]
    model = build_own_evaluator(shape, len(dataset.class_names))
    x, y = _float(dataset.train_images), np.asarray(dataset.train_labels)
    steps = -(-len(x) // hp["batch_size"])
    _compile(model, hp, steps_per_epoch=steps)
    best = keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="max",
                                         patience=hp["epochs"], restore_best_weights=True)
    model.fit(x, y, batch_size=hp["batch_size"], epochs=hp["epochs"], shuffle=True,
              validation_data=(_float(dataset.val_images), np.asarray(dataset.val_labels)),
              callbacks=[best], verbose=2 if verbose else 0)
    final = build_own_evaluator(shape, len(dataset.class_names))
    final.set_weights(model.get_weights())
    record = {
        "dataset": dataset.name, "architecture": final.name, "params": int(final.count_params()),
        "image_shape": list(shape), "classes": list(dataset.class_names),
        "train_accuracy": _accuracy(final, dataset.train_images, dataset.train_labels),
        "val_accuracy": _accuracy(final, dataset.val_images, dataset.val_labels),
        "test_accuracy": _accuracy(final, dataset.test_images, dataset.test_labels),
        "best_epoch": best.best_epoch + 1, "seed": seed, "hyperparameters": hp,
        "wall_time_s": round(time.perf_counter() - start, 1),
    }
    if verbose:
        print(f"[evaluator {dataset.name}] best epoch {record['best_epoch']}: val "
              f"{record['val_accuracy']:.4f} test {record['test_accuracy']:.4f}", flush=True)
    return final, record


def own_evaluator(run_dir, dataset, seed: int = 0, verbose: int = 0, **hyperparameters):
    """The run's cached evaluator (`<run_dir>/evaluator.keras`), trained first if absent or made
    for other classes or image shape; (model, record)."""
    if run_dir is None:
        raise ValueError(f"{dataset.name}: your own data's evaluator is cached in the run "
                         "directory; pass run_dir")
    path, record_path = Path(run_dir) / EVALUATOR_FILE, Path(run_dir) / EVALUATOR_RECORD
    if path.is_file() and record_path.is_file():
        record = json.loads(record_path.read_text())
        if (record.get("classes") == list(dataset.class_names)
                and record.get("image_shape") == list(dataset.train_images.shape[1:])):
            return keras.saving.load_model(path, compile=False), record
    model, record = train_own_evaluator(dataset, seed=seed, verbose=verbose, **hyperparameters)
    model.save(path)
    record_path.write_text(json.dumps(record, indent=2) + "\n")
    return model, record
