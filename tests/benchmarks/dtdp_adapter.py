"""The DTDP planar instances (Aly, Gabor & Sleptchenko 2024; as redistributed with Pereira & Vilà's LNS study)
read from ../shared/benchmarks/dtdp: GraphML with the standard library, all-pairs shortest paths with scipy."""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import shortest_path

from desktop_planner.optimize.dtdp import DTDPInstance

ROOT = Path(__file__).resolve().parents[2].parent / "shared" / "benchmarks" / "dtdp"
INSTANCES = ROOT / "instances"
PUBLISHED = ROOT / "published_results.csv"
NS = {"g": "http://graphml.graphdrawing.org/xmlns"}


def instance_names() -> list[str]:
    return sorted(p.stem for p in INSTANCES.glob("*.graphml"))


def read_instance(name: str, k: int = 10, tolerance: float = 0.05) -> DTDPInstance:
    root = ET.parse(INSTANCES / f"{name}.graphml").getroot()
    keys = {key.get("id"): key.get("attr.name") for key in root.findall("g:key", NS)}
    graph = root.find("g:graph", NS)
    ids, values = {}, []
    for node in graph.findall("g:node", NS):
        data = {keys[d.get("key")]: float(d.text) for d in node.findall("g:data", NS)}
        ids[node.get("id")] = len(values)
        values.append((data["x"], data["y"], data["n_customers"], data["demand"], data["workload"]))
    rows, cols, weights = [], [], []
    for edge in graph.findall("g:edge", NS):
        data = {keys[d.get("key")]: float(d.text) for d in edge.findall("g:data", NS)}
        rows.append(ids[edge.get("source")])
        cols.append(ids[edge.get("target")])
        weights.append(data["distance"])
    n = len(values)
    v = np.array(values)
    graph_matrix = coo_matrix((weights, (rows, cols)), shape=(n, n)).tocsr()
    dist = shortest_path(graph_matrix, method="D", directed=False)
    return DTDPInstance(name=name, xy=v[:, :2], activity=v[:, 2:5], dist=dist, k=k, tolerance=tolerance,
                       edges=np.column_stack((rows, cols)))


def published() -> dict[str, dict[str, float]]:
    with open(PUBLISHED, newline="") as f:
        return {row["instance"]: {k: (float(v) if v not in ("", None) else float("nan"))
                                  for k, v in row.items() if k not in ("instance", "best_known_by")}
                for row in csv.DictReader(f)}
