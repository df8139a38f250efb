"""Weight lookup order and official/custom labelling (small fake files + the real MobileNet file)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from synthscope.errors import ConfigError, WeightsError
from synthscope.features.extractors import EXTRACTORS, MOBILENET_V2_SHA256, resolve_extractor
from synthscope.features.weights import WeightSource, package_file, resolve

FAKE = WeightSource(
    file_name="fake-0000.pth",
    sha256="0" * 64,
    url="http://127.0.0.1:9/none",
    env_var="SYNTHSCOPE_FAKE_WEIGHTS",
)


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    for var in ("SYNTHSCOPE_FAKE_WEIGHTS", "SYNTHSCOPE_INCEPTION_WEIGHTS", "SYNTHSCOPE_MOBILENET_WEIGHTS"):
        monkeypatch.delenv(var, raising=False)
    checkpoints = tmp_path / "torch" / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    return checkpoints


def test_lookup_order_explicit_then_env_then_hub(
    hub: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (hub / FAKE.file_name).write_bytes(b"hub")
    (tmp_path / "env.pth").write_bytes(b"env")
    (tmp_path / "explicit.pth").write_bytes(b"explicit")
    assert resolve(FAKE, allow_download=False).source == "hub-cache"
    monkeypatch.setenv(FAKE.env_var, str(tmp_path / "env.pth"))
    assert resolve(FAKE, allow_download=False).path == tmp_path / "env.pth"
    got = resolve(FAKE, tmp_path / "explicit.pth", allow_download=False)
    assert (got.source, got.sha256) == ("explicit", hashlib.sha256(b"explicit").hexdigest())
    assert got.label == "custom"


def test_named_file_that_does_not_exist_does_not_fall_through(
    hub: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (hub / FAKE.file_name).write_bytes(b"hub")
    monkeypatch.setenv(FAKE.env_var, "/nonexistent/w.pth")
    with pytest.raises(WeightsError, match="SYNTHSCOPE_FAKE_WEIGHTS"):
        resolve(FAKE, allow_download=False)
    with pytest.raises(WeightsError, match="features.weights"):
        resolve(FAKE, "/nonexistent/x.pth", allow_download=False)


def test_official_only_when_sha256_matches(hub: Path) -> None:
    content = b"pretend weights"
    digest = hashlib.sha256(content).hexdigest()
    (hub / "w.pth").write_bytes(content)
    full = WeightSource("w.pth", digest, FAKE.url, FAKE.env_var)
    prefix = WeightSource("w.pth", digest[:8], FAKE.url, FAKE.env_var)  # as in torchvision file names
    other = WeightSource("w.pth", "f" * 8, FAKE.url, FAKE.env_var)
    assert resolve(full, allow_download=False).official
    assert resolve(prefix, allow_download=False).official
    assert not resolve(other, allow_download=False).official


def test_failed_download_names_the_env_var(hub: Path) -> None:
    with pytest.raises(WeightsError, match="SYNTHSCOPE_FAKE_WEIGHTS=/path/to/fake-0000.pth"):
        resolve(FAKE, allow_download=True)  # port 9 on localhost: connection refused
    with pytest.raises(WeightsError, match="downloads disabled"):
        resolve(FAKE, allow_download=False)


def test_mobilenet_from_offline_package_is_official(hub: Path) -> None:
    path = package_file(EXTRACTORS.get("mobilenet-v2").weights)
    assert path is not None and path.name == "mobilenet_v2-b0353104.pth"
    ex = resolve_extractor("mobilenet-v2", allow_download=False)
    assert (ex.weights.source, ex.weights.sha256, ex.weights.label) == (
        "package",
        MOBILENET_V2_SHA256,
        "official",
    )
    assert ex.key == f"mobilenet-v2-{MOBILENET_V2_SHA256[:12]}-full224-imnet-v1"
    info = ex.info()
    assert (info.name, info.weights, info.dim, info.n_logits) == (
        "mobilenet-v2",
        "official",
        1280,
        1000,
    )


def test_hub_cache_wins_over_package_and_copy_is_official(hub: Path) -> None:
    package = package_file(EXTRACTORS.get("mobilenet-v2").weights)
    (hub / "mobilenet_v2-b0353104.pth").write_bytes(package.read_bytes())
    ex = resolve_extractor("mobilenet-v2", allow_download=False)
    assert ex.weights.source == "hub-cache" and ex.weights.official


def test_auto_prefers_official_inception_else_mobilenet(hub: Path) -> None:
    assert resolve_extractor("auto", allow_download=False).spec_name == "mobilenet-v2"
    (hub / "pt_inception-2015-12-05-6726825d.pth").write_bytes(b"not the official file")
    assert resolve_extractor("auto", allow_download=False).spec_name == "mobilenet-v2"
    with pytest.raises(ConfigError, match="features.extractor"):
        resolve_extractor("auto", weights="x.pth")


def test_wrong_network_file_is_a_weights_error(hub: Path, tmp_path: Path) -> None:
    import torch

    torch.save({"fc.weight": torch.zeros(2, 2)}, tmp_path / "bad.pth")
    ex = resolve_extractor("mobilenet-v2", weights=tmp_path / "bad.pth", allow_download=False)
    assert ex.weights.label == "custom"
    with pytest.raises(WeightsError, match="does not hold mobilenet-v2 weights"):
        ex.model()
