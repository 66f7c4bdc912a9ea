#!/usr/bin/python3
"""Train the stackplan zoo architectures on Fashion-MNIST and export them.

Trains the CIFAR forms of VGG-16, ResNet-18 and MobileNet v1 exactly as the C
zoo (engine/graph/zoo.c) builds them, so the C ONNX importer can map the weights by
initializer name (`<module>.weight`, `<module>.running_mean`, ...). At the end
it evaluates the test set, exports models/<model>.onnx plus reference
input/logits for bit-level checks of the C engine, and records everything in
models/manifest.json.

Run with Debian's interpreter (/usr/bin/python3: torch, onnx, numpy). The
preprocessing is specified in docs/preprocessing.md; usage in tools/README.md.
"""

import os

# Before numpy/torch load their OpenMP runtime, which reads this only then.
# Training shares 2 cores with other jobs at nice 19: with the default
# (spinning) policy an OpenMP thread whose partner was preempted burns its
# core at every barrier, measured at 7x the CPU time per batch under load.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import datetime
import gzip
import hashlib
import json
import math
import random
import shlex
import sys
import time
import zlib
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MODELS = ("vgg16", "resnet18", "mobilenet")
NUM_CLASSES = 10

# --- data ------------------------------------------------------------------

DATA_DIR = "/usr/share/datasets/fashion-mnist"
DATA_HINT = "install the Debian package dataset-fashion-mnist"
TRAIN_COUNT = 55000  # first 55,000 training images: the training split
CALIB_COUNT = 5000   # last 5,000 training images: calibration, never trained on
IMAGE_SIDE = 28
INPUT_SIDE = 32      # zero padding of 2 on each side, after normalisation
PAD = (INPUT_SIDE - IMAGE_SIDE) // 2
SHIFT = 2            # augmentation: random translation by up to 2 pixels

# Mean and (population) std of pixel/255 over all pixels of the 55,000
# training-split images, computed once in float64 (see --compute-stats). Ten
# digits, because both sides use them as float32: these round to the same
# float32 as the exact values, which the C engine computes from the data (at
# 8 digits the std would be 1 ulp off). load_splits() checks that they still
# match the data.
NORM_MEAN = 0.2858173056
NORM_STD = 0.3529372063


class DataError(Exception):
    pass


def read_idx(path, magic, dims):
    """Reads a gzip'd IDX file and checks its magic number and dimensions.

    dims: the expected sizes after the item count (() for labels).
    Returns a uint8 array of shape (count,) + dims.
    """
    if not os.path.exists(path):
        raise DataError(f"{path} is missing ({DATA_HINT})")
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"{path} is not a readable gzip file: {e} ({DATA_HINT})")
    header_len = 4 * (2 + len(dims))
    if len(raw) < header_len:
        raise DataError(f"{path} is truncated ({DATA_HINT})")
    header = np.frombuffer(raw, dtype=">u4", count=2 + len(dims))
    if header[0] != magic:
        raise DataError(f"{path}: bad magic {header[0]:#x}, expected {magic:#x} ({DATA_HINT})")
    if tuple(int(d) for d in header[2:]) != dims:
        raise DataError(f"{path}: item shape {tuple(header[2:])}, expected {dims} ({DATA_HINT})")
    count = int(header[1])
    if len(raw) != header_len + count * int(np.prod(dims, dtype=np.int64)):
        raise DataError(f"{path}: size does not match {count} items ({DATA_HINT})")
    return np.frombuffer(raw, dtype=np.uint8, offset=header_len).reshape((count,) + dims)


def read_fashion_mnist(prefix, count):
    images = read_idx(os.path.join(DATA_DIR, f"{prefix}-images-idx3-ubyte.gz"),
                      0x00000803, (IMAGE_SIDE, IMAGE_SIDE))
    labels = read_idx(os.path.join(DATA_DIR, f"{prefix}-labels-idx1-ubyte.gz"),
                      0x00000801, ())
    if len(images) != count or len(labels) != count:
        raise DataError(f"{prefix}: {len(images)} images / {len(labels)} labels, "
                        f"expected {count} ({DATA_HINT})")
    if labels.max() >= NUM_CLASSES:
        raise DataError(f"{prefix}: label {labels.max()} out of range ({DATA_HINT})")
    return images, labels


def pixel_stats(images):
    """Mean and population std of pixel/255 over all pixels, in float64."""
    x = images.astype(np.float64) / 255.0
    return float(x.mean()), float(x.std())


def normalise(images):
    """uint8 N x 28 x 28 -> float32 N x 1 x 28 x 28, (pixel/255 - mean) / std."""
    x = images.astype(np.float32) / np.float32(255.0)
    x = (x - np.float32(NORM_MEAN)) / np.float32(NORM_STD)
    return torch.from_numpy(x[:, None, :, :].copy())


def pad_to_input(x):
    """Zero-pads normalised N x 1 x 28 x 28 to N x 1 x 32 x 32 (0 = the mean)."""
    return F.pad(x, (PAD, PAD, PAD, PAD))


def load_splits(limit=None):
    """Returns dict split -> (inputs, labels). 'train' stays 28 x 28 (augmentation
    crops it to 32 x 32 per batch); 'calib' and 'test' are padded to 32 x 32.
    limit (smoke tests only) truncates every split to its first `limit` images."""
    train_images, train_labels = read_fashion_mnist("train", TRAIN_COUNT + CALIB_COUNT)
    test_images, test_labels = read_fashion_mnist("t10k", 10000)
    mean, std = pixel_stats(train_images[:TRAIN_COUNT])
    if np.float32(mean) != np.float32(NORM_MEAN) or np.float32(std) != np.float32(NORM_STD):
        raise DataError(f"training-split mean/std {mean:.10f}/{std:.10f} differ from the "
                        f"hard-coded {NORM_MEAN}/{NORM_STD}: the data changed ({DATA_HINT})")
    raw = {
        "train": (train_images[:TRAIN_COUNT], train_labels[:TRAIN_COUNT]),
        "calib": (train_images[TRAIN_COUNT:], train_labels[TRAIN_COUNT:]),
        "test": (test_images, test_labels),
    }
    splits = {}
    for name, (images, labels) in raw.items():
        if limit is not None:
            images, labels = images[:limit], labels[:limit]
        x = normalise(images)
        if name != "train":
            x = pad_to_input(x)
        splits[name] = (x, torch.from_numpy(labels.astype(np.int64)))
    return splits


def augment(x, gen):
    """Training augmentation of a normalised N x 1 x 28 x 28 batch: pad with
    zeros to 36 x 36 and crop a random 32 x 32 window (translation by up to
    2 pixels around the centred 32 x 32 input), then flip horizontally with
    probability 1/2. Draws only from gen, so a resumed run replays exactly."""
    n = x.shape[0]
    padded = F.pad(x, (PAD + SHIFT,) * 4)
    oy = torch.randint(0, 2 * SHIFT + 1, (n,), generator=gen)
    ox = torch.randint(0, 2 * SHIFT + 1, (n,), generator=gen)
    flip = torch.rand(n, generator=gen) < 0.5
    span = torch.arange(INPUT_SIDE)
    rows = (oy[:, None] + span)[:, :, None]          # n x 32 x 1
    cols = ox[:, None] + span                         # n x 32
    cols = torch.where(flip[:, None], cols.flip(1), cols)[:, None, :]  # n x 1 x 32
    batch = torch.arange(n)[:, None, None]
    return padded[batch, 0, rows, cols][:, None, :, :]


# --- models (mirror engine/graph/zoo.c: names and shapes must match) -------------


def scaled(base, width):
    return max(1, int(base * width + 0.5))


def conv_bn(cin, cout, k, stride=1, groups=1):
    pad = k // 2
    return (nn.Conv2d(cin, cout, k, stride, pad, groups=groups, bias=False),
            nn.BatchNorm2d(cout, eps=1e-5))


VGG16_PLAN = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M",
              512, 512, 512, "M", 512, 512, 512, "M")


class VGG16(nn.Module):
    """conv1..conv13 / bn1..bn13, max-pool after conv 2, 4, 7, 10, 13, fc1, fc2."""

    def __init__(self, width, channels):
        super().__init__()
        self.plan = []  # ("conv", i) or ("pool",), in order
        cin, i = channels, 0
        for item in VGG16_PLAN:
            if item == "M":
                self.plan.append(("pool",))
                continue
            i += 1
            cout = scaled(item, width)
            conv, bn = conv_bn(cin, cout, 3)
            setattr(self, f"conv{i}", conv)
            setattr(self, f"bn{i}", bn)
            self.plan.append(("conv", i))
            cin = cout
        self.fc1 = nn.Linear(cin, scaled(512, width))
        self.fc2 = nn.Linear(scaled(512, width), NUM_CLASSES)

    def forward(self, x):
        for step in self.plan:
            if step[0] == "pool":
                x = F.max_pool2d(x, 2, 2)
            else:
                i = step[1]
                x = F.relu(getattr(self, f"bn{i}")(getattr(self, f"conv{i}")(x)))
        x = torch.flatten(x, 1)
        return self.fc2(F.relu(self.fc1(x)))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1, self.bn1 = conv_bn(cin, cout, 3, stride)
        self.conv2, self.bn2 = conv_bn(cout, cout, 3)
        self.shortcut = None
        if stride != 1 or cin != cout:
            conv, bn = conv_bn(cin, cout, 1, stride)
            self.shortcut = nn.Sequential(OrderedDict(conv=conv, bn=bn))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        skip = x if self.shortcut is None else self.shortcut(x)
        return F.relu(out + skip)


class ResNet18(nn.Module):
    """conv1/bn1, layer1..layer4 of two BasicBlocks each, global avg pool, fc."""

    def __init__(self, width, channels):
        super().__init__()
        c = scaled(64, width)
        self.conv1, self.bn1 = conv_bn(channels, c, 3)
        for s, (base, stride) in enumerate(((64, 1), (128, 2), (256, 2), (512, 2)), 1):
            cout = scaled(base, width)
            setattr(self, f"layer{s}", nn.Sequential(BasicBlock(c, cout, stride),
                                                     BasicBlock(cout, cout, 1)))
            c = cout
        self.fc = nn.Linear(c, NUM_CLASSES)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class DepthwiseSeparable(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.dw, self.dw_bn = conv_bn(cin, cin, 3, stride, groups=cin)
        self.pw, self.pw_bn = conv_bn(cin, cout, 1)

    def forward(self, x):
        x = F.relu(self.dw_bn(self.dw(x)))
        return F.relu(self.pw_bn(self.pw(x)))


MOBILENET_PLAN = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
                  (512, 1), (512, 1), (512, 1), (512, 1), (512, 1),
                  (1024, 2), (1024, 1))


class MobileNet(nn.Module):
    """conv1/bn1 (stride 1), blocks.0..12 (dw, dw_bn, pw, pw_bn), avg pool, fc."""

    def __init__(self, width, channels):
        super().__init__()
        c = scaled(32, width)
        self.conv1, self.bn1 = conv_bn(channels, c, 3)
        blocks = []
        for base, stride in MOBILENET_PLAN:
            blocks.append(DepthwiseSeparable(c, scaled(base, width), stride))
            c = scaled(base, width)
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(c, NUM_CLASSES)

    def forward(self, x):
        x = self.blocks(F.relu(self.bn1(self.conv1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def build_model(name, width, channels):
    cls = {"vgg16": VGG16, "resnet18": ResNet18, "mobilenet": MobileNet}[name]
    return cls(width, channels)


def count_params(model):
    return sum(p.numel() for p in model.parameters())


def spec_string(name, width, channels):
    return f"{name}:w={width:g},c={channels}"


# --- training ----------------------------------------------------------------


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)


def make_optimizer(model, args, steps_per_epoch):
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9,
                          nesterov=True, weight_decay=5e-4)
    # Stepped per batch: a smooth cosine over all planned steps.
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(
        opt, T_max=args.epochs * steps_per_epoch)
    return opt, sched


def train_epoch(model, opt, sched, data, args, gen):
    """One pass over the training split in a gen-seeded order. Returns
    (mean loss, accuracy %)."""
    x_all, y_all = data
    model.train()
    order = torch.randperm(len(x_all), generator=gen)
    total_loss, correct, seen = 0.0, 0, 0
    for start in range(0, len(order), args.batch_size):
        idx = order[start:start + args.batch_size]
        x, y = augment(x_all[idx], gen), y_all[idx]
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        if not torch.isfinite(loss):
            raise RuntimeError(f"loss diverged ({loss.item()}); lower --lr")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        total_loss += loss.item() * len(y)
        correct += (logits.argmax(1) == y).sum().item()
        seen += len(y)
    return total_loss / seen, 100.0 * correct / seen


@torch.no_grad()
def predict(model, x, batch_size=500):
    model.eval()
    return torch.cat([model(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])


def accuracy(model, data):
    x, y = data
    return 100.0 * (predict(model, x).argmax(1) == y).float().mean().item()


# --- checkpoints ----------------------------------------------------------------


def atomic_save(obj, path):
    """torch.save to a temp file, then rename: a kill never leaves a torn file."""
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def atomic_write_text(text, path):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def checkpoint_path(args):
    return os.path.join(args.ckpt_dir, f"{args.model}.pt")


# Settings that must not change between a run and its resumption.
CONFIG_KEYS = ("model", "width", "channels", "epochs", "batch_size", "lr", "seed", "limit")


def run_config(args):
    config = {k: getattr(args, k) for k in CONFIG_KEYS}
    config["norm"] = [NORM_MEAN, NORM_STD]
    return config


def save_checkpoint(args, model, opt, sched, gen, epoch, history):
    atomic_save({
        "config": run_config(args),
        "epoch": epoch,  # completed epochs
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "scheduler": sched.state_dict(),
        "rng": {"torch": torch.get_rng_state(), "data": gen.get_state(),
                "numpy": np.random.get_state(), "python": random.getstate()},
        "history": history,
    }, checkpoint_path(args))


def load_checkpoint(args, model, opt, sched, gen):
    """Restores a checkpoint into the given objects; returns (epoch, history)."""
    ckpt = torch.load(checkpoint_path(args))
    if ckpt["config"] != run_config(args):
        raise SystemExit(f"checkpoint {checkpoint_path(args)} was made with "
                         f"{ckpt['config']}, not {run_config(args)}")
    model.load_state_dict(ckpt["model"])
    if opt is not None:
        opt.load_state_dict(ckpt["optimizer"])
        sched.load_state_dict(ckpt["scheduler"])
    torch.set_rng_state(ckpt["rng"]["torch"])
    gen.set_state(ckpt["rng"]["data"])
    np.random.set_state(ckpt["rng"]["numpy"])
    random.setstate(ckpt["rng"]["python"])
    return ckpt["epoch"], ckpt["history"]


class Log:
    """Writes each line to stdout and appends it to <ckpt-dir>/<model>.log."""

    def __init__(self, path):
        self.path = path

    def __call__(self, line):
        print(line, flush=True)
        with open(self.path, "a") as f:
            f.write(line + "\n")


def train(args, model, splits, log):
    gen = torch.Generator().manual_seed(args.seed + 1)
    steps = math.ceil(len(splits["train"][0]) / args.batch_size)
    opt, sched = make_optimizer(model, args, steps)
    first_epoch, history = 0, []
    if args.resume and os.path.exists(checkpoint_path(args)):
        first_epoch, history = load_checkpoint(args, model, opt, sched, gen)
        log(f"resumed {args.model} after epoch {first_epoch}/{args.epochs}")
    for epoch in range(first_epoch + 1, args.epochs + 1):
        t0 = time.time()
        loss, acc = train_epoch(model, opt, sched, splits["train"], args, gen)
        train_s = time.time() - t0
        calib = accuracy(model, splits["calib"])
        history.append({"epoch": epoch, "loss": loss, "train_acc": acc,
                        "calib_acc": calib, "train_s": train_s,
                        "command": command_line()})
        save_checkpoint(args, model, opt, sched, gen, epoch, history)
        elapsed = sum(h["train_s"] for h in history)
        # elapsed: training seconds summed over all sessions of this run.
        log(f"{args.model} epoch {epoch}/{args.epochs} loss {loss:.4f} "
            f"train {acc:.2f}% calib {calib:.2f}% lr {sched.get_last_lr()[0]:.5f} "
            f"elapsed {elapsed / 60:.1f} min s/epoch {train_s:.0f}")
    return history


# --- export -------------------------------------------------------------------


def undo_initializer_dedup(proto):
    """torch.onnx.export merges initializers with equal values into one and
    routes the duplicates through Identity nodes named after them. In ResNet-18
    this always hits layer{2,3,4}.0.shortcut.bn.bias: it and layer*.0.bn2.bias
    start at 0 and get identical gradients (both feed the same sum), so they
    stay bitwise equal. The C importer maps weights by name, so give each
    duplicate back its own initializer and drop the Identity node."""
    import onnx
    inits = {t.name: t for t in proto.graph.initializer}
    keep = []
    for node in proto.graph.node:
        if node.op_type == "Identity" and node.input[0] in inits:
            copy = onnx.TensorProto()
            copy.CopyFrom(inits[node.input[0]])
            copy.name = node.output[0]
            proto.graph.initializer.append(copy)
        else:
            keep.append(node)
    del proto.graph.node[:]
    proto.graph.node.extend(keep)


def check_initializers(proto, model):
    """Every initializer must carry its module's name and its exact values
    (BatchNorm's num_batches_tracked is unused at inference, so not exported)."""
    from onnx import numpy_helper
    state = model.state_dict()
    want = {k for k in state if not k.endswith("num_batches_tracked")}
    got = {t.name: t for t in proto.graph.initializer}
    if set(got) != want:
        raise RuntimeError(f"ONNX initializer names differ from module names: "
                           f"missing {sorted(want - set(got))[:5]}, "
                           f"unexpected {sorted(set(got) - want)[:5]}")
    for name, tensor in got.items():
        if not np.array_equal(numpy_helper.to_array(tensor), state[name].numpy()):
            raise RuntimeError(f"ONNX initializer {name} differs from the model")
    if not any(n.op_type == "BatchNormalization" for n in proto.graph.node):
        raise RuntimeError("batch norm was folded away in the ONNX export")


def export_onnx(model, args, path):
    """Exports with the batch-norm layers as separate nodes whose initializers
    keep the module names. TrainingMode.PRESERVE on an eval-mode model, not
    the default EVAL: EVAL runs torch's eval peephole pass, which folds every
    BatchNorm into the preceding Conv and renames the weights (onnx::Conv_*)
    even with do_constant_folding=False."""
    import onnx
    model.eval()
    dummy = torch.zeros(1, args.channels, INPUT_SIDE, INPUT_SIDE)
    tmp = path + ".tmp"
    torch.onnx.export(model, dummy, tmp, opset_version=13,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      do_constant_folding=False,
                      training=torch.onnx.TrainingMode.PRESERVE)
    proto = onnx.load(tmp)
    undo_initializer_dedup(proto)
    onnx.checker.check_model(proto, full_check=True)
    check_initializers(proto, model)
    onnx.save(proto, tmp)
    os.replace(tmp, path)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def manifest_path(out_dir):
    return os.path.join(out_dir, "manifest.json")


def read_manifest(out_dir):
    path = manifest_path(out_dir)
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return {"format": "stackplan-models", "version": 1, "models": []}


def update_manifest(out_dir, entry):
    """Replaces (or adds) the entry with the same name; entries stay sorted."""
    manifest = read_manifest(out_dir)
    models = [m for m in manifest["models"] if m["name"] != entry["name"]]
    models.append(entry)
    manifest["models"] = sorted(models, key=lambda m: m["name"])
    atomic_write_text(json.dumps(manifest, indent=2) + "\n", manifest_path(out_dir))


def command_line():
    return " ".join(shlex.quote(a) for a in [sys.executable] + sys.argv)


MAX_SHIPPED_BYTES = 25 * 1000 * 1000


def finish(args, model, splits, history, log):
    """Test evaluation, ONNX export, reference tensors and the manifest entry."""
    os.makedirs(args.out_dir, exist_ok=True)
    test_acc = accuracy(model, splits["test"])
    calib_acc = accuracy(model, splits["calib"])
    log(f"{args.model} test {test_acc:.2f}% calib {calib_acc:.2f}%")
    base = os.path.join(args.out_dir, args.model)
    onnx_path = base + ".onnx"
    export_onnx(model, args, onnx_path)
    ref_x = splits["test"][0][:100].contiguous()
    ref_logits = predict(model, ref_x)
    np.save(base + ".ref_input.npy", ref_x.numpy().astype(np.float32))
    np.save(base + ".ref_logits.npy", ref_logits.numpy().astype(np.float32))
    for suffix in (".onnx", ".ref_input.npy", ".ref_logits.npy"):
        size = os.path.getsize(base + suffix)
        if size >= MAX_SHIPPED_BYTES:
            raise RuntimeError(f"{base + suffix} is {size} bytes, over the 25 MB limit")
    entry = {
        "name": args.model,
        "file": os.path.basename(onnx_path),
        "sha256": sha256(onnx_path),
        "spec": spec_string(args.model, args.width, args.channels),
        "width": args.width,
        "channels": args.channels,
        "params": count_params(model),
        "test_accuracy": round(test_acc, 2),
        "calib_accuracy": round(calib_acc, 2),
        "epochs": args.epochs,
        "seed": args.seed,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "norm_mean": NORM_MEAN,
        "norm_std": NORM_STD,
        "ref_input": os.path.basename(base + ".ref_input.npy"),
        "ref_logits": os.path.basename(base + ".ref_logits.npy"),
        "train_seconds": round(sum(h["train_s"] for h in history)),
        "torch_version": torch.__version__,
        "date": datetime.date.today().isoformat(),
        # The command that trained the weights (its last resumption), which
        # differs from this one after --eval-only.
        "command": history[-1]["command"] if history else command_line(),
    }
    if args.limit is not None:
        entry["limit"] = args.limit  # a smoke-test model: never ship it
    update_manifest(args.out_dir, entry)
    log(f"{args.model} exported {onnx_path} ({os.path.getsize(onnx_path)} bytes)")


def is_done(args):
    """True when out-dir already holds this exact run's final export."""
    for m in read_manifest(args.out_dir)["models"]:
        if m["name"] != args.model:
            continue
        onnx_path = os.path.join(args.out_dir, m["file"])
        return (m.get("limit") == args.limit and m["epochs"] == args.epochs
                and m["width"] == args.width and m["channels"] == args.channels
                and m["seed"] == args.seed and m["batch_size"] == args.batch_size
                and m["lr"] == args.lr and os.path.exists(onnx_path)
                and sha256(onnx_path) == m["sha256"])
    return False


# --- command line -----------------------------------------------------------


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", choices=MODELS)
    p.add_argument("--width", type=float, default=0.5)
    p.add_argument("--channels", type=int, default=1,
                   help="input channels (the 1-channel image is repeated)")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--ckpt-dir", default="/var/tmp/stackplan-train")
    p.add_argument("--out-dir", default="models")
    p.add_argument("--resume", action="store_true",
                   help="continue from <ckpt-dir>/<model>.pt if it exists")
    p.add_argument("--eval-only", action="store_true",
                   help="evaluate and export the checkpoint without training")
    p.add_argument("--limit", type=int, default=None,
                   help="smoke tests: use only the first N images of each split")
    p.add_argument("--count-params", action="store_true",
                   help="print parameter counts (w=1, c=3 and the chosen w, c) and exit")
    p.add_argument("--compute-stats", action="store_true",
                   help="print the training-split mean/std and exit")
    p.add_argument("--is-done", action="store_true",
                   help="exit 0 if out-dir has this run's final export, else 1")
    args = p.parse_args(argv)
    if not (args.count_params or args.compute_stats) and args.model is None:
        p.error("--model is required")
    return args


def print_param_counts(args):
    for name in MODELS:
        full = count_params(build_model(name, 1.0, 3))
        ours = count_params(build_model(name, args.width, args.channels))
        print(f"{name:10s} w=1,c=3: {full:>11,}   "
              f"{spec_string(name, args.width, args.channels)}: {ours:>10,}")


def main(argv):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.count_params:
        print_param_counts(args)
        return 0
    if args.compute_stats:
        images, _ = read_fashion_mnist("train", TRAIN_COUNT + CALIB_COUNT)
        mean, std = pixel_stats(images[:TRAIN_COUNT])
        print(f"mean {mean:.10f} std {std:.10f}")
        return 0
    if args.is_done:
        return 0 if is_done(args) else 1
    seed_everything(args.seed)
    splits = load_splits(args.limit)
    if args.channels != 1:  # the zoo's c input channels: repeat the gray image
        splits = {k: (x.repeat(1, args.channels, 1, 1), y) for k, (x, y) in splits.items()}
    model = build_model(args.model, args.width, args.channels)
    os.makedirs(args.ckpt_dir, exist_ok=True)
    log = Log(os.path.join(args.ckpt_dir, f"{args.model}.log"))
    log(f"{command_line()}\n{spec_string(args.model, args.width, args.channels)} "
        f"params {count_params(model):,} threads {args.threads}")
    if args.eval_only:
        if not os.path.exists(checkpoint_path(args)):
            sys.exit(f"train.py: --eval-only: no checkpoint {checkpoint_path(args)}")
        gen = torch.Generator()
        _, history = load_checkpoint(args, model, None, None, gen)
    else:
        history = train(args, model, splits, log)
    finish(args, model, splits, history, log)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except DataError as e:
        sys.exit(f"train.py: {e}")
