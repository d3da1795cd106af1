"""Writing an export: version directories, the SavedModel, the TFLite files and the metadata.

The version directory is written under a hidden temporary name and renamed when complete, so a
TF Serving instance watching `<export_dir>/<name>` never loads a half-written version; a write that
fails (a full disk) removes it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import shutil
import tempfile
import warnings
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from pse_tf.export.sampler import tflite_builtins
from pse_tf.export.signatures import (OPTIONAL_SIGNATURES, image_shape, images_spec,
                                      label_vectors_spec, resolved_signatures,
                                      saved_model_functions, seed_spec, tflite_functions)
from pse_tf.export.text import add_text_endpoints, resolved_text_signatures

METADATA_FILE = "export_metadata.json"
ANNOTATOR_FILE = "annotator.tflite"
GENERATOR_FILE = "generator.tflite"
METADATA_FORMAT = 1
# The TFLite files: {kind: (signature key inside the .tflite, same as the SavedModel's; file name)}.
TFLITE_FILES = {"annotator": ("annotate", ANNOTATOR_FILE),
                "generator": ("generate", GENERATOR_FILE)}


@dataclasses.dataclass(frozen=True)
class ExportResult:
    """Where `export_model` wrote.

    Args:
        path: Path. The version directory `<export_dir>/<name>/<version>` (the SavedModel).
        version: int. The version number.
        tflite_paths: dict. {"annotator": Path, "generator": Path}; empty when tflite=False.
    """

    path: Path
    version: int
    tflite_paths: dict

    @property
    def metadata_path(self) -> Path:
        return self.path / METADATA_FILE


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def existing_versions(model_dir) -> list[int]:
    """Integer version directories under `model_dir`, sorted (TF Serving ignores the rest)."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        return []
    return sorted(int(p.name) for p in model_dir.iterdir() if p.is_dir() and p.name.isdigit())


def _resolve_version(model_dir: Path, version) -> int:
    versions = existing_versions(model_dir)
    if version is None:
        return versions[-1] + 1 if versions else 1
    if isinstance(version, bool) or not isinstance(version, (int, np.integer)) or version < 0:
        raise ValueError(f"version must be a non-negative int or None, got {version!r}")
    if (model_dir / str(int(version))).exists():
        raise FileExistsError(
            f"{model_dir / str(int(version))} already exists; pass another version, or None for "
            f"the next one ({versions[-1] + 1 if versions else 1})")
    return int(version)


def _write_saved_model(model, path: Path, text_options: dict | None = None) -> tuple[dict, dict]:
    """Writes the SavedModel; returns ({signature: reason} for the optional ones the model lacks,
    the text metadata of `pse_tf.export.text.add_text_endpoints`).

    A model whose `encode` or `label_distribution` raises NotImplementedError (CVAE has no
    image-only encoder) is exported without that signature; annotate and generate are required.
    """
    archive = keras.export.ExportArchive()
    # No archive.track(model): ExportArchive keeps the variables the endpoints use; tracking
    # the model as well stored every weight twice (and the unused classifier).
    omitted = {}
    for key, traced in saved_model_functions(model).items():
        try:
            traced.get_concrete_function()
        except NotImplementedError as error:
            if key not in OPTIONAL_SIGNATURES:
                raise
            omitted[key] = str(error)
            continue
        archive.add_endpoint(key, traced)  # already traced: no input_signature needed
    if omitted:
        warnings.warn(f"{type(model).__name__} exported without {sorted(omitted)}: {omitted}",
                      stacklevel=3)
    with tempfile.TemporaryDirectory() as vocabulary_dir:  # copied into assets/ by write_out
        text_omitted, text_info = add_text_endpoints(archive, model, vocabulary_dir,
                                                     **(text_options or {}))
        archive.write_out(str(path), verbose=False)
    return {**omitted, **text_omitted}, text_info


def _random_ops(concrete_function) -> list[str]:
    return sorted({op.type for op in concrete_function.graph.get_operations()
                   if "Random" in op.type})


def _write_tflite(model, path: Path) -> tuple[dict, bool]:
    """Writes annotator.tflite and generator.tflite; returns their paths and whether Flex is needed.

    The converter reads a temporary SavedModel written by ExportArchive, which is what tracks
    Keras 3 variables: `from_concrete_functions(..., trackable_obj=model)` converted without the
    weights here (NaN outputs), and without trackable_obj it takes a deprecated path.
    """
    functions = tflite_functions(model)
    with tflite_builtins():  # traced here; the archive below reuses these traces
        functions["annotate"].get_concrete_function()
        leftover = _random_ops(functions["generate"].get_concrete_function())
    if leftover:
        warnings.warn(f"{type(model).__name__}.generate uses random ops {leftover} with no TFLite "
                      "builtin; generator.tflite is converted with SELECT_TF_OPS and needs the "
                      "Flex delegate", stacklevel=3)
    paths = {}
    with tempfile.TemporaryDirectory() as tmp:
        archive = keras.export.ExportArchive()
        for key, traced in functions.items():
            archive.add_endpoint(key, traced)  # already traced: no input_signature needed
        archive.write_out(tmp, verbose=False)
        for kind, (key, filename) in TFLITE_FILES.items():
            converter = tf.lite.TFLiteConverter.from_saved_model(tmp, signature_keys=[key])
            if kind == "generator" and leftover:
                converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS,
                                                       tf.lite.OpsSet.SELECT_TF_OPS]
            paths[kind] = path / filename
            paths[kind].write_bytes(converter.convert())
    return paths, bool(leftover)


def _metadata(model, name: str, version: int, tflite_paths: dict, needs_flex: bool,
              omitted: dict, text_info: dict | None = None) -> dict:
    shape = list(image_shape(model))
    signatures = {**resolved_signatures(model),
                  **resolved_text_signatures(model, (text_info or {}).get("top_k", 0))}
    return {
        "format_version": METADATA_FORMAT,
        "name": name,
        "version": version,
        "model": getattr(model, "registry_name", None) or model.model_config.name,
        "class_names": list(model.class_names),
        "label_encoding": model.label_encoding,
        "label_dim": int(model.label_dim),
        "latent_dim": int(model.model_config.latent_dim),
        "image_shape": shape,
        "model_config": dataclasses.asdict(model.model_config),
        "signatures": {k: v for k, v in signatures.items() if k not in omitted},
        "omitted_signatures": omitted,
        "text": text_info or {},
        "input_validation": {
            "images": images_spec(*shape),
            "label_vectors": label_vectors_spec(int(model.label_dim)),
            "seed": seed_spec(),
            "note": "SavedModel inputs are declared with open shapes (unknown rank) and checked "
                    "in the graph; a bad request fails with InvalidArgumentError starting with "
                    "these texts. The TFLite files do not validate (no Assert kernel); "
                    "pse_tf.export.TFLiteModel checks in Python with the same texts."},
        "seed": "generate's int64 seed s becomes TFP's stateless int32 pair "
                "[s mod 2^32 (wrapped to int32), floor(s / 2^32)], i.e. its low and high words",
        "tflite": {
            kind: {"file": tflite_paths[kind].name, "signature": key,
                   **signatures[key],
                   "note": ("inputs have fixed trailing sizes; resize the batch dimension"
                            if kind == "annotator" else
                            "Gaussian sampling with builtin ops reproducing TF's stateless Philox "
                            "sampler: the same images as the SavedModel up to float rounding")
                           + (". Needs the Flex delegate." if kind == "generator" and needs_flex
                              else ".")}
            for kind, (key, _) in TFLITE_FILES.items() if kind in tflite_paths},
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__},
    }


def export_model(model, name: str, export_dir="exported", version: int | None = None,
                 tflite: bool = True, text_options: dict | None = None) -> ExportResult:
    """Export `model` for serving as `<export_dir>/<name>/<version>/`.

    Args:
        model: LatentModel. Built (`build_all()`) or trained.
        name: str. Model directory name (letters, digits, `_ . -`).
        export_dir: str or Path. Base directory (TF Serving's base path is `<export_dir>/<name>`).
        version: int or None. None: 1 + the largest existing version (or 1). An existing
            version is an error, never overwritten.
        tflite: bool. Also write annotator.tflite and generator.tflite.
        text_options: dict or None. Keyword arguments of `pse_tf.export.text.add_text_endpoints`
            for a word-vector model: `word_vectors`, `vocabulary_size` (default 50,000), `top_k`.

    Returns:
        ExportResult(path, version, tflite_paths).
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"name must be a directory name of letters, digits, '_', '.', '-', "
                         f"got {name!r}")
    if not model.built:
        raise ValueError(f"{type(model).__name__} is not built; call model.build_all() first")
    model_dir = Path(export_dir) / name
    version = _resolve_version(model_dir, version)
    created = not model_dir.exists()
    model_dir.mkdir(parents=True, exist_ok=True)
    final = model_dir / str(version)
    staging = None
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".tmp-{version}-", dir=model_dir))
        omitted, text_info = _write_saved_model(model, staging, text_options)
        tflite_paths, needs_flex = _write_tflite(model, staging) if tflite else ({}, False)
        metadata = _metadata(model, name, version, tflite_paths, needs_flex, omitted, text_info)
        (staging / METADATA_FILE).write_text(json.dumps(metadata, indent=2) + "\n")
        os.chmod(staging, 0o755)  # mkdtemp makes it 0700; a server may run as another user
        if final.exists():
            raise FileExistsError(f"{final} appeared while exporting (a concurrent export?)")
        staging.rename(final)
    except BaseException:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        if created:  # a failed first export leaves no empty model folder either
            with contextlib.suppress(OSError):
                model_dir.rmdir()
        raise
    return ExportResult(path=final, version=version,
                        tflite_paths={k: final / p.name for k, p in tflite_paths.items()})
