"""The per-layer timing of the conv networks: every layer with weights, FLOPs as the formula."""

import json

import pytest

from experiments.architectures import layers


def test_each_conv_layer_is_timed_with_the_flops_of_its_shape(tmp_path):
    out = tmp_path / "layers.json"
    assert layers.main(["--calls", "1", "--out", str(out)]) == 0
    rows = {r["layer"]: r for r in json.loads(out.read_text())["rows"]}
    assert list(rows) == ["conv0", "conv1", "dense", "deconv0", "deconv1", "deconv_out"]
    b = layers.BATCH
    # 2 x output elements x (3 x 3 x c_in) for a convolution; 2 x input elements x
    # (3 x 3 x c_out) for a transposed one; 2 x m x n x k for the dense layer.
    assert rows["conv0"]["forward_mflop"] * 1e6 == pytest.approx(2 * b * 14 * 14 * 32 * 9 * 1)
    assert rows["conv1"]["forward_mflop"] * 1e6 == pytest.approx(2 * b * 7 * 7 * 64 * 9 * 32)
    assert rows["dense"]["forward_mflop"] * 1e6 == pytest.approx(2 * b * 10 * 7 * 7 * 64)
    assert rows["deconv1"]["forward_mflop"] * 1e6 == pytest.approx(2 * b * 14 * 14 * 64 * 9 * 32)
    assert rows["deconv_out"]["forward_mflop"] * 1e6 == pytest.approx(2 * b * 28 * 28 * 32 * 9 * 1)
    assert all(r["ms"] > 0 and r["gflops"] > 0 for r in rows.values())


def test_calls_below_one_are_refused(capsys):
    with pytest.raises(SystemExit) as e:
        layers.main(["--calls", "0"])
    assert e.value.code == 2
    assert "--calls must be at least 1" in capsys.readouterr().err
