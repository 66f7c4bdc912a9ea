#!/usr/bin/env python3
"""Writes the planner's test fixtures: a small synthetic profile
(stackplan-profile v1) and its accuracy file (stackplan-accuracy v1) for a
7-layer residual net, plus copies that differ in one way each. Deterministic;
run from this folder: python3 make_fixtures.py

Net: input 3x8x8 -> conv1 -> conv2 -> conv3 -> conv4 -> add(conv2, conv4)
-> gap -> fc. Groups: 0 input, 1 conv1 (prunable: keep 1, 0.5), 2 conv2
(joined by the add: unprunable), 3 conv3 (prunable: keep 1, 0.5, 0.25; 0.25
has no accuracy entry), 4 fc (output). Each conv has dense serial/OpenMP,
CSR (prune 0.5, 0.9 and 0.7 without an accuracy entry), ternary and an
OpenCL variant on device 0; one record failed.
"""
import json

FP = "0123456789abcdef"
GROUPS = [  # name, channels, prunable, keep levels, kept
    ("input", 3, False, [1.0], [3]),
    ("conv1", 8, True, [1.0, 0.5], [8, 4]),
    ("conv2", 8, False, [1.0], [8]),
    ("conv3", 16, True, [1.0, 0.5, 0.25], [16, 8, 4]),
    ("fc", 10, False, [1.0], [10]),
]
LAYERS = [  # name, kind, op, inputs, group_in, group_out, macs at keep 1
    ("conv1", "conv2d", "conv2d 3x3/1 +relu", ["input"], 0, 1, 3 * 8 * 9 * 64),
    ("conv2", "conv2d", "conv2d 3x3/1 +relu", ["conv1"], 1, 2, 8 * 8 * 9 * 64),
    ("conv3", "conv2d", "conv2d 3x3/1 +relu", ["conv2"], 2, 3, 8 * 16 * 9 * 64),
    ("conv4", "conv2d", "conv2d 3x3/1", ["conv3"], 3, 2, 16 * 8 * 9 * 64),
    ("add", "add", "add +relu", ["conv2", "conv4"], 2, 2, 8 * 64),
    ("gap", "global_avgpool", "global_avgpool", ["add"], 2, 2, 8 * 64),
    ("fc", "fc", "fc 10", ["gap"], 2, 4, 8 * 10),
]


def act_bytes(layer):
    g = GROUPS[layer[5]]
    spatial = 1 if layer[0] in ("gap", "fc") else 64
    return [4.0 * k * spatial for k in g[4]]


def record(layer, ki, ko, variant, backend, res, threads, comp, rate, ms, wbytes, ws=0.0):
    r = {"layer": layer[0], "keep_in": GROUPS[layer[4]][3][ki], "keep_out": GROUPS[layer[5]][3][ko],
         "compression": {"kind": comp, "rate": rate}, "variant": variant, "backend": backend,
         "residency": res, "threads": threads, "params": {}, "tuned": False}
    r.update({"median_ms": round(ms, 6), "p10_ms": round(ms * 0.95, 6), "p90_ms": round(ms * 1.1, 6),
              "n": 20, "noise": 0.02, "converged": True, "weight_bytes": wbytes,
              "workspace_bytes": ws, "prepare_ms": 0.1})
    return r


def records():
    out = []
    for layer in LAYERS:
        gi, go = GROUPS[layer[4]], GROUPS[layer[5]]
        pairs = [(k, k) for k in range(len(gi[3]))] if layer[4] == layer[5] else \
            [(a, b) for a in range(len(gi[3])) for b in range(len(go[3]))]
        for ki, ko in pairs:
            f = gi[3][ki] * go[3][ko]  # work and weights scale with both keeps
            macs = layer[6] * f
            ms = 1e-6 * macs + 0.002
            if layer[1] == "conv2d":
                w = 4.0 * macs / 64
                out.append(record(layer, ki, ko, "conv2d__direct_serial", "serial", "host", 1, "none", 0, ms, w))
                out.append(record(layer, ki, ko, "conv2d__im2col_gemm_omp", "openmp", "host", 2, "none", 0,
                                  ms * 0.45, w, ws=4.0 * macs / 8))
                for s, speed in ((0.5, 0.8), (0.9, 0.3), (0.7, 0.5)):
                    out.append(record(layer, ki, ko, "conv2d__csr_direct_serial", "serial", "host", 1, "prune", s,
                                      ms * speed, w * (1 - s) * 2))
                out.append(record(layer, ki, ko, "conv2d__ternary_serial", "serial", "host", 1, "ternary", 0.7,
                                  ms * 0.6, w / 16))
                out.append(record(layer, ki, ko, "conv2d__direct_opencl", "opencl", "device:0", 1, "none", 0,
                                  ms * 0.1 + 0.003, w))
            elif layer[1] == "fc":
                w = 4.0 * macs
                out.append(record(layer, ki, ko, "fc__gemv_serial", "serial", "host", 1, "none", 0, ms, w))
                out.append(record(layer, ki, ko, "fc__csr_serial", "serial", "host", 1, "prune", 0.5, ms * 0.9,
                                  w))
                out.append(record(layer, ki, ko, "fc__opencl", "opencl", "device:0", 1, "none", 0, ms + 0.01, w))
            else:
                op = layer[1]
                out.append(record(layer, ki, ko, f"{op}__vec_serial", "serial", "host", 1, "none", 0, ms, 0.0))
                out.append(record(layer, ki, ko, f"{op}__opencl", "opencl", "device:0", 1, "none", 0,
                                  ms + 0.005, 0.0))
    failed = dict(out[1])
    for k in ("median_ms", "p10_ms", "p90_ms", "n", "noise", "converged", "weight_bytes",
              "workspace_bytes", "prepare_ms"):
        failed.pop(k)
    failed["failed"] = "out of memory (fixture)"
    out.insert(2, failed)
    return out


def transitions():
    out = [{"tensor": "input", "keep": 1.0, "bytes": 768.0, "h2d_ms": 0.02, "d2h_ms": 0.02}]
    for layer in LAYERS:
        for k, b in zip(GROUPS[layer[5]][3], act_bytes(layer)):
            out.append({"tensor": layer[0], "keep": k, "bytes": b, "h2d_ms": 0.01 + b * 2e-6,
                        "d2h_ms": 0.01 + b * 2.5e-6})
    return out


def profile():
    return {
        "format": "stackplan-profile", "version": 1,
        "created": "2024-05-01T12:00:00Z", "updated": "2024-05-01T12:00:00Z",
        "device": {"fingerprint": "fedcba9876543210", "cpu": "fixture CPU", "cores": 2,
                   "opencl": {"index": 0, "platform": "fixture", "device": "fixture GPU", "driver": "1"},
                   "libraries": {"openblas": "fixture", "glpk": "5.0", "clblast": None},
                   "build": {"compiler": "gcc 12", "flags": "", "stackplan": "0.1.0"}},
        "model": {"name": "tiny-residual", "fingerprint": FP, "input": [3, 8, 8]},
        "config": {"threads": [1, 2], "quick": True, "batch": 1, "device": 0, "variants": None,
                   "grid": {"prune": [0.5, 0.7, 0.9], "ternary": [0.7], "keep": [0.5, 0.25]},
                   "protocol": {"warmup": 1, "min_runs": 6, "max_runs": 200, "min_seconds": 0.002,
                                "max_seconds": 0.03, "rel_ci": 0.05, "batch_seconds": 0.002,
                                "outlier_ratio": 1.5, "max_remeasure": 2, "race_ratio": 2.0}},
        "groups": [{"id": i, "name": g[0], "channels": g[1], "prunable": g[2], "keep": g[3], "kept": g[4]}
                   for i, g in enumerate(GROUPS)],
        "layers": [{"name": l[0], "kind": l[1], "op": l[2], "inputs": l[3], "group_in": l[4],
                    "group_out": l[5], "act_bytes": act_bytes(l), "measured": True, "seconds": 0.1,
                    "skipped": []} for l in LAYERS],
        "records": records(),
        "transitions": transitions(),
        "noise": [{"layer": l[0], "median": 0.02, "max": 0.04, "unconverged": 0} for l in LAYERS],
    }


def accuracy():
    layers = []
    for i, l in enumerate(LAYERS):
        if l[1] not in ("conv2d", "fc"):
            continue
        layers.append({"layer": l[0], "compression": "prune", "rate": 0.5, "accuracy": 89.9 - 0.05 * i,
                       "loss": 0.3})
        if l[1] == "conv2d":
            layers.append({"layer": l[0], "compression": "prune", "rate": 0.9, "accuracy": 88.0 - 0.4 * i,
                           "loss": 0.4})
            layers.append({"layer": l[0], "compression": "ternary", "rate": 0.7, "accuracy": 88.5 - 0.3 * i,
                           "loss": 0.4})
    groups = [{"group": "conv1", "layers": ["conv1", "conv2"], "keep": 0.5, "channels_kept": 4,
               "accuracy": 88.7, "loss": 0.35},
              {"group": "conv3", "layers": ["conv3", "conv4"], "keep": 0.5, "channels_kept": 8,
               "accuracy": 89.2, "loss": 0.33}]
    return {"format": "stackplan-accuracy", "version": 1, "created": "2024-05-01T12:00:00Z",
            "source": "user",
            "model": {"name": "tiny-residual", "structure_fingerprint": FP,
                      "weights_fingerprint": "00112233aabbccdd", "input": [3, 8, 8], "classes": 10},
            "data": {"name": "fashion-mnist", "split": "calib", "images": 5000},
            "baseline": {"accuracy": 90.0, "loss": 0.28},
            "layers": layers, "groups": groups}


def dump(name, obj):
    with open(name, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    dump("profile.json", profile())
    dump("accuracy.json", accuracy())
    other = accuracy()
    other["model"]["structure_fingerprint"] = "ffffffffffffffff"
    dump("accuracy_other_model.json", other)
