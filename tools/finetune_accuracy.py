#!/usr/bin/python3
"""Accuracy after fine-tuning, as a stackplan accuracy file ("source": "user").

For a trained model (models/<m>.onnx), compresses one layer or one channel
group at a time with the same rules as the C engine (engine/compress/compress.h),
fine-tunes briefly on the training split (never on the calibration split),
measures calibration accuracy and loss, and writes the `stackplan-accuracy`
version 1 file that `stackplan plan` reads like one made by `stackplan sense`
(docs/accuracy.md, docs/formats.md).

The architecture is rebuilt with tools/train.py's definitions and the ONNX
initializers are loaded into it by name. Every batch norm is then folded into
its convolution exactly as the C engine folds it, so that the compression
rules act on the same weights as in C:
  prune s    the round(s * N) weights of smallest |w| of the layer set to 0
             (ties: lower index first), and kept 0 while fine-tuning;
  ternary t  TWN: delta = t * mean|w|, w -> +mean(w > delta), 0,
             -mean(|w| over w < -delta); fine-tuned straight-through (a float
             copy takes the updates, the layer always holds its ternary form);
  keep k     the channel group keeps sp_channel_keep_count(C, k) channels, the
             largest by the L1 norm of their producers' filters; the others
             are zeroed in the producers and depthwise members (weights and
             bias), which is what removing them does to the network.
The model's identity (fingerprints, layers, prunable groups with members and
consumers) comes from `stackplan sense MODEL --identify`, so the file matches
the model as the C engine loads it.

Run with Debian's interpreter: /usr/bin/python3 tools/finetune_accuracy.py
--model models/vgg16.onnx [--layers conv3,conv5] [--steps 100] ...
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as train.py: shared cores

import argparse
import copy
import datetime
import json
import math
import shutil
import subprocess
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train  # noqa: E402  (model definitions, data loading, augmentation)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PRUNE_RATES = "0.5,0.7,0.8,0.9,0.95"   # the profile grid (accuracy/sense.h)
TERNARY_RATES = "0.7"
KEEP_RATES = "0.75,0.5,0.25"


class ToolError(Exception):
    pass


# --- the C engine's rules ------------------------------------------------------


def keep_count(channels, keep):
    """sp_channel_keep_count: k * C rounded (halves up), then to the nearest
    multiple of 4 (halves up), at least 4, at most C."""
    r = math.floor(keep * channels + 0.5)
    n = 4 * ((r + 2) // 4)
    return min(max(n, 4), channels)


def prune_mask(w, s):
    """1 where a weight stays: the round(s * N) smallest |w| go, ties to the
    lower index (a stable sort), as sp_compress_prune."""
    flat = w.detach().reshape(-1).abs().numpy()
    zeros = math.floor(s * flat.size + 0.5)
    mask = np.ones(flat.size, np.float32)
    mask[np.argsort(flat, kind="stable")[:zeros]] = 0
    return torch.from_numpy(mask).reshape(w.shape)


def ternarise(w, t):
    """TWN with threshold factor t, means in float64 as sp_compress_ternary."""
    v = w.detach().double()
    delta = t * v.abs().mean()
    pos, neg = v > delta, v < -delta
    wp = v[pos].mean() if pos.any() else torch.tensor(0.0, dtype=torch.float64)
    wn = (-v[neg]).mean() if neg.any() else torch.tensor(0.0, dtype=torch.float64)
    out = torch.zeros_like(w)
    out[pos] = wp.float()
    out[neg] = -wn.float()
    return out


def fold_batchnorms(model):
    """Folds every BatchNorm into the conv before it (w * s, (b - mean) * s + beta
    with s = gamma / sqrt(var + eps), float32 as graph_passes.c) and replaces
    the batch norm by Identity. Returns the model (changed in place)."""
    pairs = [(name, module) for name, module in model.named_modules()
             if isinstance(module, nn.Conv2d)]
    for name, conv in pairs:
        bn_name = bn_of(name)
        parent, _, leaf = bn_name.rpartition(".")
        holder = model.get_submodule(parent) if parent else model
        bn = getattr(holder, leaf, None)
        if not isinstance(bn, nn.BatchNorm2d):
            continue
        with torch.no_grad():
            s = bn.weight / torch.sqrt(bn.running_var + bn.eps)
            conv.weight.mul_(s.reshape(-1, 1, 1, 1))
            bias = conv.bias if conv.bias is not None else torch.zeros_like(s)
            conv.bias = nn.Parameter((bias - bn.running_mean) * s + bn.bias)
        setattr(holder, leaf, nn.Identity())
    return model


def bn_of(conv_name):
    """The batch norm that follows a conv in train.py's models: conv -> bn,
    convK -> bnK, dw -> dw_bn, pw -> pw_bn (same parent module)."""
    parent, _, leaf = conv_name.rpartition(".")
    if leaf in ("dw", "pw"):
        bn = leaf + "_bn"
    elif leaf.startswith("conv"):
        bn = "bn" + leaf[4:]
    else:
        bn = leaf + "_bn"
    return f"{parent}.{bn}" if parent else bn


# --- the model ---------------------------------------------------------------------


def load_onnx_weights(model, path):
    """Copies the ONNX initializers into the module by name (train.py exports
    them under the module names); every tensor of the state dict must be there."""
    import onnx
    from onnx import numpy_helper
    inits = {t.name: numpy_helper.to_array(t) for t in onnx.load(path).graph.initializer}
    state = model.state_dict()
    for key in state:
        if key.endswith("num_batches_tracked"):
            continue
        if key not in inits:
            raise ToolError(f"{path}: no initializer '{key}' (not a train.py export of this "
                            f"architecture and width?)")
        if tuple(inits[key].shape) != tuple(state[key].shape):
            raise ToolError(f"{path}: initializer '{key}' has shape {inits[key].shape}, the "
                            f"module {tuple(state[key].shape)} (wrong --arch or --width?)")
        state[key] = torch.from_numpy(inits[key].copy())
    model.load_state_dict(state)
    return model


def find_stackplan(given):
    if given:
        return given
    found = shutil.which("stackplan")
    for cand in [found] + [os.path.join(ROOT, d, "stackplan") for d in
                           ("build", "build-sense", "build-release")]:
        if cand and os.access(cand, os.X_OK):
            return cand
    raise ToolError("no stackplan binary found: pass --stackplan PATH")


def identify(stackplan, model_path):
    """The model as the C engine sees it (stackplan sense --identify)."""
    run = subprocess.run([stackplan, "sense", model_path, "--identify"], capture_output=True,
                         text=True)
    if run.returncode != 0:
        raise ToolError(f"stackplan sense --identify failed: {run.stderr.strip()}")
    return json.loads(run.stdout)


def manifest_entry(model_path):
    path = os.path.join(os.path.dirname(os.path.abspath(model_path)), "manifest.json")
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        for m in json.load(f).get("models", []):
            if m.get("file") == os.path.basename(model_path):
                return m
    return {}


# --- compression as a projection, re-applied after every step -------------------------


class Compression:
    """One option applied to a folded model: apply() once, then project()
    after each optimiser step keeps the weights compressed."""

    def __init__(self, model, kind, rate, layers, group=None):
        self.kind, self.rate = kind, rate
        # members the C engine names that folding removed (batch norms) hold nothing
        self.mods = [m for m in (model.get_submodule(name) for name in layers)
                     if isinstance(m, (nn.Conv2d, nn.Linear))]
        if kind == "prune":
            self.mask = prune_mask(self.mods[0].weight, rate)
        elif kind == "ternary":
            self.shadow = self.mods[0].weight.detach().clone()
        else:
            self.channel_mask = keep_mask(self.mods, group, rate)

    @torch.no_grad()
    def apply(self):
        self.project(first=True)

    @torch.no_grad()
    def project(self, first=False):
        if self.kind == "prune":
            self.mods[0].weight.mul_(self.mask)
        elif self.kind == "ternary":
            w = self.mods[0].weight
            if not first:  # the step moved the ternary weights: the float copy takes it
                self.shadow.add_(w - self.last)
            self.last = ternarise(self.shadow, self.rate)
            w.copy_(self.last)
        else:
            for m in self.mods:
                shape = (-1,) + (1,) * (m.weight.dim() - 1)
                m.weight.mul_(self.channel_mask.reshape(shape))
                if m.bias is not None:
                    m.bias.mul_(self.channel_mask)


def keep_mask(members, group, keep):
    """1 for the channels the group keeps: the largest L1 norms of the
    producers' filters (depthwise members do not rank), ascending order."""
    channels = group["channels"]
    l1 = torch.zeros(channels, dtype=torch.float64)
    for m in members:
        depthwise = isinstance(m, nn.Conv2d) and m.groups > 1
        if not depthwise:
            l1 += m.weight.detach().double().abs().reshape(channels, -1).sum(1)
    kept = keep_count(channels, keep)
    # larger norm first, then the lower channel (sort is stable on -l1)
    order = np.argsort(-l1.numpy(), kind="stable")[:kept]
    mask = torch.zeros(channels)
    mask[torch.from_numpy(np.sort(order))] = 1
    return mask


# --- data, training, evaluation -------------------------------------------------------


def evaluate(model, data, batch=500):
    x, y = data
    model.eval()
    correct, loss = 0, 0.0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            logits = model(x[i:i + batch])
            correct += (logits.argmax(1) == y[i:i + batch]).sum().item()
            loss += F.cross_entropy(logits.double(), y[i:i + batch], reduction="sum").item()
    return 100.0 * correct / len(x), loss / len(x)


def finetune(model, comp, data, args, seed):
    """args.steps SGD steps on augmented training batches, the compression
    projected back after each one."""
    comp.apply()
    if args.steps == 0:
        return
    x_all, y_all = data
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4)
    model.train()
    for _ in range(args.steps):
        idx = torch.randint(0, len(x_all), (args.batch_size,), generator=gen)
        loss = F.cross_entropy(model(train.augment(x_all[idx], gen)), y_all[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        comp.project()


# --- the options and the file ---------------------------------------------------------------


def rates(text):
    try:
        return [float(r) for r in text.split(",") if r]
    except ValueError:
        raise ToolError(f"bad list of rates '{text}'")


def options(ident, args):
    """(kind, rate, layer or group entry) for every selected layer and group."""
    chosen = set(args.layers.split(",")) if args.layers else None
    known = set(ident["layers"]) | {g["group"] for g in ident["groups"]}
    if chosen and not chosen <= known:
        raise ToolError(f"--layers: {sorted(chosen - known)} are neither conv/fc layers nor "
                        f"prunable groups of {ident['name']}")
    out = []
    for layer in ident["layers"]:
        if chosen is None or layer in chosen:
            out += [("prune", s, layer) for s in rates(args.rates)]
            out += [("ternary", t, layer) for t in rates(args.ternary)]
    for group in ident["groups"]:
        if chosen is not None and group["group"] not in chosen:
            continue
        seen = {group["channels"]}  # levels keeping all, or as many as before: left out
        for k in rates(args.keeps):
            n = keep_count(group["channels"], k)
            if n not in seen:
                seen.add(n)
                out.append(("keep", k, group))
    return out


def write_json(path, doc):
    """One entry per line, as the C writer; through a temp file and a rename."""
    head = {k: doc[k] for k in ("format", "version", "created")}
    lines = ["{"] + [f'  "{k}": {json.dumps(v)},' for k, v in head.items()]
    for k in ("model", "data", "baseline"):
        lines.append(f'  "{k}": {json.dumps(doc[k], separators=(",", ":"))},')
    lines.append(f'  "source": "{doc["source"]}",')
    for k in ("layers", "groups"):
        items = [json.dumps(e, separators=(",", ":")) for e in doc[k]]
        body = ",\n    ".join(items)
        lines.append(f'  "{k}": [' + (f"\n    {body}\n  ]" if items else "]") +
                     ("," if k == "layers" else ""))
    lines.append("}")
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, path)


def export_random(args):
    """A seeded, untrained model exported as train.py exports (for tests)."""
    torch.manual_seed(args.seed)
    model = train.build_model(args.export_random, args.width, args.channels).eval()
    with torch.no_grad():  # batch norms that do something when folded
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    train.export_onnx(model, argparse.Namespace(channels=args.channels), args.out)
    print(f"exported {args.out}")


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", help="the trained model, models/<m>.onnx")
    p.add_argument("--arch", choices=train.MODELS,
                   help="its architecture (default: models/manifest.json, else the file name)")
    p.add_argument("--width", type=float, help="width multiplier (default: manifest, else 0.5)")
    p.add_argument("--channels", type=int, default=1)
    p.add_argument("--stackplan", help="the stackplan binary (default: PATH, then build dirs)")
    p.add_argument("--out", help="the accuracy file to write")
    p.add_argument("--layers", help="comma-separated conv/fc layers and group names (default: all)")
    p.add_argument("--rates", default=PRUNE_RATES, help=f"pruning sparsities ({PRUNE_RATES})")
    p.add_argument("--ternary", default=TERNARY_RATES, help="ternary thresholds (0.7)")
    p.add_argument("--keeps", default=KEEP_RATES, help=f"channel keep fractions ({KEEP_RATES})")
    p.add_argument("--steps", type=int, default=100, help="fine-tuning steps per option (100)")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--limit", type=int, help="only the first N calibration images")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--export-random", choices=train.MODELS,
                   help="tests: export a seeded untrained model to --out and exit")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.export_random:
        if not args.out or args.width is None:
            p.error("--export-random needs --out and --width")
        export_random(args)
        return 0
    if not args.model or not args.out:
        p.error("--model and --out are required")
    entry = manifest_entry(args.model)
    arch = args.arch or entry.get("name") or os.path.basename(args.model).split(".")[0]
    if arch not in train.MODELS:
        raise ToolError(f"{args.model}: architecture '{arch}' unknown: pass --arch")
    width = args.width if args.width is not None else entry.get("width", 0.5)

    if os.environ.get("SP_DATA_DIR"):  # as the C engine: the data where it says
        train.DATA_DIR = os.environ["SP_DATA_DIR"]
    ident = identify(find_stackplan(args.stackplan), args.model)
    base = fold_batchnorms(load_onnx_weights(train.build_model(arch, width, args.channels),
                                             args.model))
    splits = train.load_splits()
    calib = splits["calib"]
    if args.limit:
        calib = (calib[0][:args.limit], calib[1][:args.limit])
    base_acc, base_loss = evaluate(base, calib)
    print(f"{ident['name']}: baseline {base_acc:.2f}% loss {base_loss:.4f} "
          f"({len(calib[0])} calibration images)", flush=True)

    layers, groups = [], []
    for i, (kind, rate, what) in enumerate(options(ident, args)):
        model = copy.deepcopy(base)
        if kind == "keep":
            comp = Compression(model, kind, rate, what["members"], what)
        else:
            comp = Compression(model, kind, rate, [what])
        finetune(model, comp, splits["train"], args, args.seed + i)
        acc, loss = evaluate(model, calib)
        name = what["group"] if kind == "keep" else what
        print(f"{name} {kind} {rate:g}: {acc:.2f}% loss {loss:.4f}", flush=True)
        if kind == "keep":
            groups.append({"group": name, "layers": what["members"] + what["consumers"],
                           "keep": rate, "channels_kept": keep_count(what["channels"], rate),
                           "accuracy": acc, "loss": loss})
        else:
            layers.append({"layer": name, "compression": kind, "rate": rate,
                           "accuracy": acc, "loss": loss})
    model_id = {k: ident[k] for k in ("name", "structure_fingerprint", "weights_fingerprint",
                                      "input", "classes")}
    write_json(args.out, {
        "format": "stackplan-accuracy", "version": 1,
        "created": datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "model": model_id,
        "data": {"name": "fashion-mnist", "split": "calib", "images": len(calib[0])},
        "baseline": {"accuracy": base_acc, "loss": base_loss},
        "source": "user", "layers": layers, "groups": groups})
    print(f"accuracy file: {args.out} ({len(layers)} layer and {len(groups)} group entries, "
          f"{args.steps} fine-tuning steps each)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (ToolError, train.DataError) as e:
        sys.exit(f"finetune_accuracy.py: {e}")
