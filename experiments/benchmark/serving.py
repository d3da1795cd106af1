"""Speed of the exported annotator: images/s of the SavedModel `annotate` signature and of
`annotator.tflite` (`export.export_model`'s files). How it is timed is stated in the report's
Method section (`experiments.benchmark.report`).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import tensorflow as tf

from experiments.benchmark.machine import wall_seconds
from pse_tf.data import flat_float
from pse_tf.export.tflite import TFLiteModel

EXPORT_BATCH_SIZES = (1, 1024)


def _median_seconds(call: Callable[[], object], calls: int) -> float:
    return statistics.median(wall_seconds(call, calls, warmup=2))


def _signature_images(images, batch: int) -> np.ndarray:
    """The first `batch` images as the `annotate` signature takes them: float32 [batch, H, W] in
    [0, 1] (`flat_float`, then back to the images' own shape)."""
    first = np.asarray(images[:batch])
    return np.ascontiguousarray(flat_float(first).numpy().reshape(first.shape))


def time_exported_annotator(export_path: Path, tflite_path: Path, images: np.ndarray,
                            batch_sizes: Sequence[int] = EXPORT_BATCH_SIZES, calls: int = 20,
                            num_threads: int | None = None,
                            log: Callable[[str], None] = print) -> list[dict]:
    """images/s of the SavedModel `annotate` signature and of annotator.tflite per batch size.

    `images`: [N, 28, 28], uint8 (0..255) or float in [0, 1], N >= max(batch_sizes). The TFLite
    file runs through `TFLiteModel`: the input is checked and the tensor resized to each batch
    before timing; only set_tensor + invoke + get_tensor are timed.
    Median of `calls` calls after two warm-up calls.
    Returns [{"runtime", "batch", "ms_per_call", "images_per_s"}].
    """
    num_threads = num_threads or os.cpu_count()
    signature = tf.saved_model.load(str(export_path)).signatures["annotate"]
    tflite = TFLiteModel(tflite_path, num_threads=num_threads)
    rows = []
    for batch in batch_sizes:
        x = _signature_images(images, batch)
        tensor = tf.constant(x)
        seconds = _median_seconds(lambda: signature(images=tensor)["label_index"].numpy(), calls)
        rows.append({"runtime": "saved_model", "batch": batch, "ms_per_call": 1000 * seconds,
                     "images_per_s": batch / seconds})
        log(f"  SavedModel annotate, batch {batch}: {batch / seconds:,.0f} images/s")

        # Checked, resized and allocated once; the timed call only sets, invokes and gets.
        seconds = _median_seconds(tflite.annotate_call(x), calls)
        rows.append({"runtime": f"tflite ({tflite.runtime}, {num_threads} threads)",
                     "batch": batch, "ms_per_call": 1000 * seconds,
                     "images_per_s": batch / seconds})
        log(f"  TFLite ({tflite.runtime}) annotator, batch {batch}: {batch / seconds:,.0f} "
            "images/s")
    return rows


def time_export(model, name: str, images: np.ndarray, calls: int = 20,
                log: Callable[[str], None] = print) -> list[dict]:
    """Export `model` (SavedModel + TFLite, `export_model`) into a temporary folder and time its
    annotator there (`time_exported_annotator` at `EXPORT_BATCH_SIZES`).

    Returns [{"model": name, "runtime", "batch", "ms_per_call", "images_per_s"}].
    """
    from pse_tf.export import export_model

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        exported = export_model(model, f"bench_{name}", export_dir=tmp)
        log(f"{name}: exported SavedModel + TFLite in {time.perf_counter() - t0:.1f} s")
        rows = time_exported_annotator(exported.path, exported.tflite_paths["annotator"],
                                       images, calls=calls, log=log)
    return [{"model": name, **row} for row in rows]
