"""Running an export's TFLite files with the input checks TFLite cannot make itself.

The .tflite files have no Assert kernel, so they refuse nothing: the interpreter reshapes what
it can to the declared rank, returns NaN for NaN/inf or huge inputs, fails with an internal
RuntimeError for wrong trailing sizes and divides by zero on an empty generator batch.
`TFLiteModel` checks every input in Python first, raising ValueError with the texts of the
SavedModel's in-graph checks (`images_spec`, `label_vectors_spec`, `seed_spec`).

    model = TFLiteModel("exported/fashion_mnist_pse_star_word2vec/1")
    model.annotate(images)["label_name"]          # images: float [N, H, W] in [0, 1]
    model.generate(label_vectors, seed=7)["images"]  # label_vectors: float [N, L]; int64 seed
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from pse_tf.export.archive import TFLITE_FILES
from pse_tf.export.signatures import (LABEL_VALUE_LIMIT, images_spec, label_vectors_spec,
                                      seed_spec, shape_text)

_INT64 = np.iinfo(np.int64)


def load_interpreter(path, num_threads: int | None = None):
    """(interpreter, runtime name): LiteRT's (`ai-edge-litert`), else the deprecated tf.lite one."""
    try:
        from ai_edge_litert.interpreter import Interpreter

        runtime = "ai_edge_litert"
    except ImportError:  # tf.lite.Interpreter still runs in TF 2.21, with a deprecation warning
        import tensorflow as tf

        Interpreter, runtime = tf.lite.Interpreter, "tf.lite"
    return Interpreter(model_path=str(path), num_threads=num_threads), runtime


def _floats(value, spec: str, what: str) -> np.ndarray:
    """`value` as float32, refusing what is not a real floating array (ints, bools, strings);
    subnormal values become 0, as TF's CPU kernels (and so the SavedModel) flush them."""
    array = np.asarray(value)
    if array.dtype.kind != "f":
        hint = "; divide uint8 images by 255" if array.dtype == np.uint8 else ""
        raise ValueError(f"{spec}; got {what} of dtype {array.dtype}{hint}")
    with np.errstate(over="ignore"):  # float64 beyond float32's range becomes inf: refused below
        array = np.asarray(array, dtype=np.float32, order="C")  # keeps a 0-d array 0-d
    subnormal = np.abs(array) < np.finfo(np.float32).smallest_normal
    return np.where(subnormal, np.float32(0), array) if subnormal.any() else array


def _checked(array: np.ndarray, trailing: tuple, low: float, high: float, spec: str):
    """`array` once it is [N, *trailing] with every value in [low, high], else a ValueError with
    the text of the SavedModel's in-graph check."""
    if array.ndim != 1 + len(trailing) or array.shape[1:] != trailing:
        raise ValueError(f"{spec}; got shape {shape_text(array.shape)}")
    if not np.all((array >= low) & (array <= high)):  # False for NaN
        finite = array[np.isfinite(array)]
        smallest, largest = (finite.min(), finite.max()) if finite.size else (np.inf, -np.inf)
        raise ValueError(f"{spec}; got {array.size - finite.size} NaN/inf value(s) and finite "
                         f"values from {smallest:g} to {largest:g}")
    return array


def check_images(images, height: int, width: int) -> np.ndarray:
    """float [N, H, W] images in [0, 1] -> float32; anything else is a ValueError."""
    spec = images_spec(height, width)
    return _checked(_floats(images, spec, "images"), (height, width), 0.0, 1.0, spec)


def check_label_vectors(label_vectors, label_dim: int) -> np.ndarray:
    """float [N, L] label vectors in [-LABEL_VALUE_LIMIT, LABEL_VALUE_LIMIT] -> float32; anything
    else is a ValueError."""
    spec = label_vectors_spec(label_dim)
    return _checked(_floats(label_vectors, spec, "label_vectors"), (label_dim,),
                    -LABEL_VALUE_LIMIT, LABEL_VALUE_LIMIT, spec)


def check_seed(seed) -> np.ndarray:
    """An int64 scalar: a Python int or numpy integer in int64's range; not a bool or a float."""
    array = np.asarray(seed) if isinstance(seed, np.ndarray) else None
    if array is not None:
        if array.shape != () or array.dtype.kind not in "iu":
            raise ValueError(f"{seed_spec()}; got an array of dtype {array.dtype} and shape "
                             f"{shape_text(array.shape)}")
        seed = array.item()
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"{seed_spec()}; got {type(seed).__name__} {seed!r}")
    if not _INT64.min <= int(seed) <= _INT64.max:
        raise ValueError(f"{seed_spec()}; got {seed}, outside [{_INT64.min}, {_INT64.max}]")
    return np.array(int(seed), np.int64)


class _Runner:
    """One .tflite file's single signature, through the interpreter's own tensor calls only:
    mixing them with a SignatureRunner's makes LiteRT refuse to resize."""

    def __init__(self, path: Path, key: str, num_threads: int | None):
        self.path = path
        self.interpreter, self.runtime = load_interpreter(path, num_threads)
        signatures = self.interpreter.get_signature_list()
        if key not in signatures:
            raise ValueError(f"{path} has signatures {sorted(signatures)}, not {key!r}")
        runner = self.interpreter.get_signature_runner(key)
        self.inputs = runner.get_input_details()  # {name: detail}, for indices and shapes only
        self.output_details = runner.get_output_details()
        self.outputs = {n: d["index"] for n, d in self.output_details.items()}
        self.shapes = {n: None for n in self.inputs}  # as last resized; None: not yet
        self.allocated = False

    def trailing_shape(self, name: str) -> tuple:
        """The declared sizes of input or output `name` after its batch dimension."""
        details = self.inputs.get(name) or self.output_details[name]
        return tuple(int(d) for d in details["shape_signature"][1:])

    def bind(self, inputs: dict) -> Callable[[], dict]:
        """Size the interpreter for `inputs` (checked arrays); returns set + invoke + get."""
        resized = False
        for name, array in inputs.items():
            if self.shapes[name] != array.shape:
                self.interpreter.resize_tensor_input(self.inputs[name]["index"], list(array.shape))
                self.shapes[name], resized = array.shape, True
        if resized or not self.allocated:
            self.interpreter.allocate_tensors()
            self.allocated = True
        indices = [(self.inputs[name]["index"], array) for name, array in inputs.items()]
        interpreter, outputs = self.interpreter, self.outputs

        def call() -> dict:
            for index, array in indices:
                interpreter.set_tensor(index, array)
            interpreter.invoke()
            return {name: interpreter.get_tensor(index) for name, index in outputs.items()}

        return call


class TFLiteModel:
    """The TFLite annotator and generator of an export, with checked inputs.

    Args:
        path: str or Path. An export version directory (`export_model`'s `<name>/<version>`,
            holding annotator.tflite and generator.tflite), or one of the two files.
        num_threads: int or None. Interpreter threads; None lets the runtime choose.

    Attributes:
        runtime: str. "ai_edge_litert", or "tf.lite" where LiteRT is not installed.

    Every method raises ValueError for an input the SavedModel would refuse, with the same
    text, and FileNotFoundError when its file is absent. Not thread-safe (one interpreter a file).
    """

    def __init__(self, path, num_threads: int | None = None):
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"no TFLite export at {path}")
        self.num_threads = num_threads
        if path.is_dir():
            self.paths = {kind: path / file for kind, (_, file) in TFLITE_FILES.items()}
        else:
            kind = {file: kind for kind, (_, file) in TFLITE_FILES.items()}.get(path.name)
            if kind is None:
                raise ValueError(f"{path} is not one of the export's TFLite files "
                                 f"({', '.join(f for _, f in TFLITE_FILES.values())})")
            self.paths = {kind: path}
        self._runners = {}

    def _runner(self, kind: str) -> _Runner:
        if kind not in self._runners:
            path = self.paths.get(kind)
            if path is None or not path.is_file():
                raise FileNotFoundError(f"no {TFLITE_FILES[kind][1]} at "
                                        f"{path or next(iter(self.paths.values())).parent}")
            self._runners[kind] = _Runner(path, TFLITE_FILES[kind][0], self.num_threads)
        return self._runners[kind]

    @property
    def runtime(self) -> str:
        return self._runner(next(iter(self.paths))).runtime

    @property
    def image_shape(self) -> tuple[int, int]:
        """(H, W), from whichever file is present."""
        if "annotator" in self.paths and self.paths["annotator"].is_file():
            return self._runner("annotator").trailing_shape("images")
        return self._runner("generator").trailing_shape("images")

    @property
    def label_dim(self) -> int:
        """L, the length of a label vector (generator.tflite's input)."""
        return self._runner("generator").trailing_shape("label_vectors")[0]

    def annotate_call(self, images) -> Callable[[], dict]:
        """Check `images` and size the interpreter for them; returns the call `annotate` makes
        (set, invoke, read: timed alone by `experiments/benchmark/serving.py`)."""
        runner = self._runner("annotator")
        return runner.bind({"images": check_images(images, *runner.trailing_shape("images"))})

    def annotate(self, images) -> dict:
        """images: float [N, H, W] in [0, 1] -> {"label_probs" float32 [N, C], "label_index"
        int32 [N], "label_name" bytes [N]}, as the SavedModel's `annotate` signature."""
        return self.annotate_call(images)()

    def generate(self, label_vectors, seed) -> dict:
        """label_vectors: float [N, L], finite; seed: int64 -> {"images": float32 [N, H, W]}; the
        same seed gives the same images (the SavedModel's up to rounding). An empty batch is
        answered without running the file, whose sampler divides by N."""
        runner = self._runner("generator")
        vectors = check_label_vectors(label_vectors, runner.trailing_shape("label_vectors")[0])
        seed = check_seed(seed)
        if len(vectors) == 0:
            return {"images": np.zeros((0, *self.image_shape), np.float32)}
        return runner.bind({"label_vectors": vectors, "seed": seed})()


__all__ = ["TFLiteModel", "check_images", "check_label_vectors", "check_seed", "load_interpreter"]
