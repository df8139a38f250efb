"""``synthscope.compare(synthetic, real)``: the feature metrics of two sets, from Python.

The twin of ``synthscope metrics`` (which prints what this returns) and of torch-fidelity's
``calculate_metrics(input1=..., input2=..., fid=True, kid=True, prc=True)``. Each side is an
(N, D) array, a ``.npy`` file of one, a ``.npz`` file with a ``features`` array, or an image
folder. Folders go through the same ingest and features stages as an audit, into the feature
store, so a second call on the same images is served from the store. The result has the shape
of the feature-based entries of ``metrics.json`` (``fid``, ``kid``, ``precision``, ``recall``,
``density``, ``coverage``, each ``{"value", "ci95", ...}``, plus ``extractor``).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from synthscope.errors import DataError
from synthscope.io import JSONObject
from synthscope.params import Params
from synthscope.paths import OutputPaths

Source = np.ndarray | str | Path
FEATURE_METRICS = ("fid", "kid", "prdc")

if TYPE_CHECKING:
    from synthscope.documents.stages import ExtractorInfo


def read_features(path: Path) -> np.ndarray:
    """(N, D) features from ``.npy`` or from the ``features`` array of an ``.npz``."""
    if not path.exists():
        raise DataError(f"{path} does not exist; pass an image folder, a .npy or an .npz file")
    try:
        if path.suffix == ".npy":
            return np.load(path, allow_pickle=False)
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as data:
                if "features" not in data:
                    raise DataError(f"{path} has no 'features' array (it has {', '.join(data.files) or 'none'}); "
                                    "save it with np.savez(path, features=x)")
                return data["features"]
    except (OSError, ValueError) as exc:
        raise DataError(f"{path} is not a readable NumPy file ({exc}); save it with np.save") from exc
    raise DataError(f"{path}: expected an image folder, a .npy or an .npz file")


def embed_through_store(folder: Path, params: Params, store_dir: Path
                        ) -> tuple[np.ndarray, np.ndarray, ExtractorInfo, JSONObject]:
    """An image folder -> (features (N, D) float32, labels str (N,), extractor info, store counts).

    Unlike ``synthscope fid`` (``features.folder``, which embeds a folder directly, as the peers do),
    the metrics command keeps what it computes: a second call is served from the store.

    Runs the ingest and features stages into a temporary output folder; rows come from (and
    go to) the feature store at ``store_dir``.
    """
    from synthscope.config import AuditConfig
    from synthscope.features.load import load_embeddings
    from synthscope.io import read_json
    from synthscope.stages import features, ingest

    with tempfile.TemporaryDirectory(prefix="synthscope-metrics-") as tmp:
        config = AuditConfig(name="metrics", synthetic=folder, real=None, output_dir=Path(tmp),
                             store_dir=store_dir, params=params)
        ingest.run(config)
        features.run(config)
        paths = OutputPaths(Path(tmp))
        counts = read_json(paths.features_summary)["embeddings"]
        emb = load_embeddings(paths, store_dir)
    if len(emb.features) == 0:
        raise DataError(f"{folder} has no readable images; put images in it (flat, or <class>/<image>)")
    return emb.features, emb.index["label"].astype(str).to_numpy(), emb.extractor, counts


@dataclass(frozen=True)
class Side:
    """One side of a comparison: features (N, D), labels str (N,), the network (None: given as arrays)
    and, for folders, the feature store's computed/cached counts."""

    features: np.ndarray
    labels: np.ndarray
    extractor: ExtractorInfo | None
    store: JSONObject | None


def _side(source: Source, role: str, params: Params, store_dir: Path) -> Side:
    if isinstance(source, np.ndarray):
        feats, labels, info, counts = source, None, None, None
    elif Path(source).is_dir() or Path(source).suffix.lower() in (".csv", ".parquet", ".arrow"):
        # a folder, a manifest or a Hugging Face dataset: through ingest and the feature store
        feats, labels, info, counts = embed_through_store(Path(source), params, store_dir)
    else:
        feats, labels, info, counts = read_features(Path(source)), None, None, None
    feats = np.asarray(feats)
    if feats.ndim != 2 or not np.issubdtype(feats.dtype, np.number):
        raise DataError(f"{role} features: expected a numeric (N, D) array, got shape {feats.shape} {feats.dtype}")
    if not np.isfinite(feats).all():
        raise DataError(f"{role} features contain NaN or infinite values; remove those rows")
    if labels is None:
        labels = np.full(len(feats), "all")
    # float64 input stays float64 (PRDC is then identical to the prdc package); integers become floats
    feats = feats if np.issubdtype(feats.dtype, np.floating) else feats.astype(np.float64)
    return Side(feats, labels, info, counts)


def compare(
    synthetic: Source,
    real: Source,
    *,
    extractor: str | None = None,
    weights: str | Path | None = None,
    k: int | None = None,
    store_dir: str | Path = "data/store",
    params: Params | None = None,
) -> JSONObject:
    """FID (or the Frechet distance of the network used), KID, precision, recall, density and
    coverage of ``synthetic`` against ``real``, with 95% intervals.

    ``extractor``/``weights`` override ``params.features`` for folders; ``k`` overrides
    ``score.prdc_k``; ``params`` defaults to ``./params.yaml`` (or the built-in defaults).
    """
    from synthscope.config import load_params
    from synthscope.documents import dump
    from synthscope.metrics.reference import DECISION_RULE
    from synthscope.metrics.suite import UNNAMED, RoleData, ScoreInputs, score_entries

    params = params or load_params()
    feat = params.features
    if extractor is not None or weights is not None:
        feat = replace(feat, extractor=extractor or feat.extractor, weights=str(weights) if weights else feat.weights)
    score = params.score if k is None else replace(params.score, prdc_k=k)
    params = replace(params, features=feat, score=score)
    sides = {role: _side(src, role, params, Path(store_dir)) for role, src in (("synthetic", synthetic), ("real", real))}
    dims = {role: s.features.shape[1] for role, s in sides.items()}
    if dims["synthetic"] != dims["real"]:
        raise DataError(f"feature dimensions differ (synthetic {dims['synthetic']}, real {dims['real']}); "
                        "both sides must come from the same network")
    info = sides["synthetic"].extractor or sides["real"].extractor

    def role_data(s: Side) -> RoleData:
        n = len(s.features)
        return RoleData(ids=np.arange(n).astype(str), labels=s.labels, features=s.features,
                        logits=np.empty((n, 0), dtype=np.float32))

    syn, ref = role_data(sides["synthetic"]), role_data(sides["real"])
    scores = score_entries(ScoreInputs(synthetic=syn, real=ref, extractor=info, params=score), only=FEATURE_METRICS)
    # metrics.json's header; arrays name no network, which metrics.json (official|custom weights) cannot say
    out: JSONObject = {
        "extractor": {"name": UNNAMED, "weights": "unknown", "sha256": None} if info is None
        else {"name": info.name, "weights": info.weights, "sha256": info.sha256},
        "n_synthetic": len(syn.ids), "n_real": len(ref.ids), "skipped": scores.skipped, "decision_rule": DECISION_RULE,
    }
    out.update({key: dump(entry) for key, entry in scores.entries.items()})
    if all(s.extractor is None for s in sides.values()):
        out["fid"].pop("per_class", None)  # arrays carry no labels: one "class" would repeat the total
    stores = {role: s.store for role, s in sides.items() if s.store is not None}
    if stores:
        out["feature_store"] = {"dir": str(store_dir), **stores}
    return out
