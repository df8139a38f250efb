"""Findings on null pairs: two disjoint halves of one real photo set must raise nothing above ``low``.

    python bench/null_findings.py FOLDER [FOLDER ...] [--splits 5] [--per-class N] [--store DIR]

Each folder (ImageFolder of real photos) goes once through the ingest and features stages;
then, per split, every class is cut into two disjoint random halves, one audited as
"synthetic" against the other as "real" by the bias scan. Prints, per source and split, the
findings above ``low`` (there should be none) and their count by check.
"""

from __future__ import annotations

import argparse
import collections
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from synthscope.bias import findings, scan
from synthscope.bias.inputs import scan_data
from synthscope.config import AuditConfig, load_params
from synthscope.features.load import load_embeddings
from synthscope.paths import OutputPaths
from synthscope.schema import severity_rank
from synthscope.stages import features, ingest


def embed_folder(folder: Path, store: Path, params) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """(attributes, embedding index, features) of one folder, through the stages and the store."""
    with tempfile.TemporaryDirectory(prefix="synthscope-null-") as tmp:
        config = AuditConfig(name="null", synthetic=folder, real=None, output_dir=Path(tmp),
                             store_dir=store, params=params)
        ingest.run(config)
        features.run(config)
        paths = OutputPaths(Path(tmp))
        emb = load_embeddings(paths, store)
        return pd.read_parquet(paths.attributes), emb.index, emb.features


def null_split(attributes: pd.DataFrame, index: pd.DataFrame, seed: int, per_class: int | None,
               stratified: bool = True):
    """Relabel roles: a random half is 'synthetic', a disjoint half 'real'.

    ``stratified``: per class (equal class counts on both sides); otherwise two random draws
    from all rows (class counts differ by sampling, as in two independent photo collections).
    ``per_class``: rows per class per side (stratified) or that times the class count (random).
    """
    rng = np.random.default_rng(seed)
    attributes, index = attributes.copy(), index.copy()
    role = np.array([""] * len(attributes), dtype=object)
    groups = attributes.groupby(attributes["label"].astype(str)).indices
    if not stratified:
        groups = {"all": np.arange(len(attributes))}
        per_class = None if per_class is None else per_class * attributes["label"].nunique()
    for _, idx in groups.items():
        idx = rng.permutation(idx)
        half = len(idx) // 2 if per_class is None else min(per_class, len(idx) // 2)
        role[idx[:half]], role[idx[half:2 * half]] = "synthetic", "real"
    keep = role != ""
    by_path = dict(zip(attributes["path"].astype(str), role, strict=True))
    attributes["role"] = role
    index["role"] = index["path"].astype(str).map(by_path).fillna("")
    attributes = attributes[keep].reset_index(drop=True)
    return attributes, index


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--splits", type=int, default=5)
    parser.add_argument("--per-class", type=int, default=None, help="images per class per side (default: half)")
    parser.add_argument("--store", type=Path, default=Path(tempfile.gettempdir()) / "synthscope-null-store")
    parser.add_argument("--show", type=int, default=8, help="findings above low printed per split")
    parser.add_argument("--random", action="store_true", help="unstratified halves (class counts vary)")
    args = parser.parse_args()
    params = load_params()
    total = 0
    for folder in args.folders:
        attributes, index, feats = embed_folder(folder, args.store, params)
        for seed in range(args.splits):
            attrs, idx = null_split(attributes, index, seed, args.per_class, not args.random)
            keep = (idx["role"] != "").to_numpy()
            data = scan_data(attrs, idx[keep].reset_index(drop=True), feats[keep])
            started = time.perf_counter()
            flagged = scan(data, params.scan)
            took = time.perf_counter() - started
            found = findings(flagged)
            above = [f for f in found if severity_rank(f.severity) > severity_rank("low")]
            lows = sum(f.severity == "low" for f in found)
            total += len(above)
            by_check = collections.Counter(f"{f.check}/{f.severity}" for f in above)
            print(f"{folder.name} split {seed}: {len(data.synthetic)} vs {len(data.real)}; "
                  f"{len(above)} above low, {lows} low; {dict(by_check)} (scan {took:.1f} s)", flush=True)
            for f in above[: args.show]:
                print(f"    [{f.severity}] {f.check}/{f.attribute}/{f.class_}: {f.message}")
    print(f"TOTAL findings above low on null pairs: {total}")


if __name__ == "__main__":
    main()
