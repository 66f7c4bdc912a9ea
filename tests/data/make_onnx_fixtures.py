#!/usr/bin/python3
"""Generates the ONNX test fixtures of tests/data/onnx/ with PyTorch.

Good fixtures (tests/data/onnx/<name>.onnx) are small CNNs that together use
every op the C importer supports, exported at opsets 9, 11, 13 and 17, most
with a dynamic batch axis. Each comes with <name>.input.npy (a batch of 3)
and <name>.output.npy (PyTorch's output for it); tests/unit/test_onnx.c
compares the engine with them.

Bad fixtures (tests/data/onnx/bad/*.onnx) each break one rule; bad/expected.tsv
lists for each file a substring its error message must contain
(tests/unit/test_onnx_bad.c).

Run with Debian's interpreter: /usr/bin/python3 tests/data/make_onnx_fixtures.py
The outputs are committed; rerun only when changing the fixtures.
"""

import io
import os
import warnings

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "onnx")
BAD = os.path.join(OUT, "bad")
BATCH = 3


def randomise_bn(model, gen):
    """Non-trivial running statistics, so folding a BN actually changes weights."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            m.weight.data = torch.rand(c, generator=gen) + 0.5
            m.bias.data = torch.rand(c, generator=gen) - 0.5
            m.running_mean.data = torch.rand(c, generator=gen) - 0.5
            m.running_var.data = torch.rand(c, generator=gen) + 0.5


class Stem(nn.Module):
    """Stride-2 conv + BN (folds) + ReLU, a zero Pad folded into MaxPool (after
    ReLU), a padded MaxPool, Pad + AveragePool (count_include_pad), a 1x1 conv,
    GlobalAveragePool, Flatten, Gemm. Non-square input."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.pool1 = nn.MaxPool2d(3, 1, 1)
        self.pool2 = nn.AvgPool2d(3, 2, 1, count_include_pad=True)
        self.conv2 = nn.Conv2d(8, 16, 1)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.max_pool2d(F.pad(x, (1, 1, 1, 1)), 3, 2)
        x = self.pool2(self.pool1(x))
        x = F.relu(self.conv2(x))
        return self.fc(torch.flatten(self.gap(x), 1))


class Grouped(nn.Module):
    """Grouped and depthwise convs with BN and ReLU6 (Clip 0..6), Pad (from a
    Constant input) + AveragePool, a general Clip(-1, 2), ReduceMean without
    keepdims, MatMul + Add, Softmax."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(4, 8, 3, 1, 1, groups=2, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.dw = nn.Conv2d(8, 8, 3, 2, 1, groups=8, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.pool = nn.AvgPool2d(3, 1, 1)
        self.pw = nn.Conv2d(8, 12, 1)
        self.w = nn.Parameter(torch.randn(12, 10) * 0.3)
        self.b = nn.Parameter(torch.randn(10) * 0.1)

    def forward(self, x):
        x = F.relu6(self.bn1(self.conv1(x)))
        x = F.relu6(self.bn2(self.dw(x)))
        x = torch.clamp(self.pw(self.pool(x)), -1.0, 2.0)
        x = x.mean((2, 3))
        return torch.softmax(torch.matmul(x, self.w) + self.b, 1)


class Residual(nn.Module):
    """Residual adds, a BN after an add (stays a batchnorm node), a stride-2
    downsample with a 1x1 shortcut, AveragePool with count_include_pad 0 and
    Pad + AveragePool (count_include_pad 1),
    ReduceMean with keepdims, Reshape to [-1, 16], Gemm, Softmax."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.conv3 = nn.Conv2d(8, 8, 3, 1, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(8)
        self.conv4 = nn.Conv2d(8, 16, 3, 2, 1, bias=False)
        self.bn4 = nn.BatchNorm2d(16)
        self.short = nn.Conv2d(8, 16, 1, 2, 0, bias=False)
        self.bn5 = nn.BatchNorm2d(16)
        self.bn6 = nn.BatchNorm2d(16)
        self.pool = nn.AvgPool2d(3, 1, 1, count_include_pad=False)
        self.pool2 = nn.AvgPool2d(2, 1, 1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        a = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(a)))
        a = F.relu(self.bn3(self.conv3(y)) + a)
        y = self.bn4(self.conv4(a)) + self.bn5(self.short(a))
        y = F.relu(self.bn6(y))
        y = self.pool2(self.pool(y)).mean((2, 3), keepdim=True)
        return torch.softmax(self.fc(y.view(-1, 16)), -1)


class LeNet(nn.Module):
    """No batch norm at all: convs with bias, max pools, Flatten, Gemm, and a
    bias-free Linear (MatMul). Fashion-MNIST's 1 x 32 x 32 input."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(400, 32)
        self.drop = nn.Dropout(0.5)
        self.fc2 = nn.Linear(32, 10, bias=False)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = self.drop(F.relu(self.fc1(torch.flatten(x, 1))))
        return self.fc2(x)


class Tiny(nn.Module):
    """The base of the bad fixtures: conv, ReLU, GAP, Flatten, Gemm."""

    def __init__(self, act=None, conv=None, pool=None):
        super().__init__()
        self.conv = conv or nn.Conv2d(1, 2, 3, 1, 1)
        self.act = act or nn.ReLU()
        self.pool = pool or nn.Identity()
        self.fc = nn.Linear(2, 3)

    def forward(self, x):
        x = self.pool(self.act(self.conv(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class PadMaxSigned(nn.Module):
    """A zero Pad before MaxPool on a signed input: cannot be folded."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)

    def forward(self, x):
        x = F.max_pool2d(F.pad(self.conv(x), (1, 1, 1, 1)), 3, 2)
        return torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)


def export(model, shape, opset, dynamic=True):
    """ONNX bytes of `model` (eval mode, batch norms and their names kept)."""
    buf = io.BytesIO()
    axes = {"input": {0: "N"}, "output": {0: "N"}} if dynamic else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, torch.zeros(BATCH, *shape), buf, opset_version=opset,
                          training=torch.onnx.TrainingMode.PRESERVE, input_names=["input"],
                          output_names=["output"], dynamic_axes=axes)
    return onnx.load_from_string(buf.getvalue())


def insert_after(graph, op_type, value, name):
    """Inserts `op_type`(value) and renames the readers of `value` to read it."""
    out = value + "_" + op_type.lower()
    for n in graph.node:
        n.input[:] = [out if i == value else i for i in n.input]
    for o in graph.output:
        if o.name == value:
            o.name = out
    idx = next(i for i, n in enumerate(graph.node) if value in n.output)
    graph.node.insert(idx + 1, helper.make_node(op_type, [value], [out], name=name))


def save_good(name, model, shape, opset, dynamic=True, edit=None, seed=0):
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model.eval()
    randomise_bn(model, gen)
    proto = export(model, shape, opset, dynamic)
    if edit:
        edit(proto.graph)
    x = torch.randn(BATCH, *shape, generator=gen)
    with torch.no_grad():
        y = model(x)
    path = os.path.join(OUT, name + ".onnx")
    onnx.save(proto, path)
    np.save(os.path.join(OUT, name + ".input.npy"), x.numpy().astype("<f4"))
    np.save(os.path.join(OUT, name + ".output.npy"), y.numpy().astype("<f4"))
    print(f"{path}: {os.path.getsize(path)} bytes, ops "
          f"{sorted({n.op_type for n in proto.graph.node})}")


def residual_edit(graph):
    """Identity and Dropout nodes that PyTorch drops in eval exports."""
    relu = next(n for n in graph.node if n.op_type == "Relu")
    insert_after(graph, "Identity", relu.output[0], "extra_identity")
    gemm = next(n for n in graph.node if n.op_type == "Gemm")
    insert_after(graph, "Dropout", gemm.output[0], "extra_dropout")


def tiny(opset=13, **kw):
    torch.manual_seed(0)
    return export(Tiny(**kw).eval(), (1, 8, 8), opset)


def find(graph, op_type):
    return next(n for n in graph.node if n.op_type == op_type)


def bad_fixtures():
    """(name, model proto, substring of the expected error)."""
    out = []

    m = tiny()
    w = m.graph.initializer[0].name
    del m.graph.initializer[0]
    out.append(("missing_initializer", m, f"input '{w}' is not an initializer"))

    m = tiny()
    m.graph.initializer[0].raw_data = m.graph.initializer[0].raw_data[:-4]
    out.append(("wrong_initializer_size", m, "dims say 18"))

    m = tiny()
    m.graph.initializer[0].dims[:] = [2, 2, 3, 3]
    m.graph.initializer[0].raw_data = m.graph.initializer[0].raw_data * 2
    out.append(("initializer_shape_mismatch", m, "does not fit 1 input channels"))

    m = tiny()
    t = m.graph.initializer[0]
    t.data_type = onnx.TensorProto.DOUBLE
    t.raw_data = np.zeros(18, "<f8").tobytes()
    out.append(("double_initializer", m, "data type 11 is not supported"))

    m = tiny()
    find(m.graph, "Relu").op_type = "Frobnicate"
    out.append(("unknown_op", m, "unsupported op 'Frobnicate' in node '/act/Relu'"))

    out.append(("sigmoid", tiny(act=nn.Sigmoid()), "unsupported op 'Sigmoid' in node '/act/Sigmoid'"))
    out.append(("dilation2", tiny(conv=nn.Conv2d(1, 2, 3, 1, 2, dilation=2)),
                "dilation 2x2 is not supported"))
    out.append(("ceil_mode", tiny(pool=nn.MaxPool2d(3, 2, ceil_mode=True)),
                "ceil_mode 1 changes the output shape"))

    m = tiny()
    del m.graph.input[0].type.tensor_type.shape.dim[3]
    out.append(("input_rank3", m, "must have rank 4"))

    m = tiny()
    m.graph.output.append(helper.make_tensor_value_info("extra", onnx.TensorProto.FLOAT, [1]))
    out.append(("two_outputs", m, "the graph has 2 outputs"))

    m = tiny()
    relu = find(m.graph, "Relu")
    conv = find(m.graph, "Conv")
    conv.input[0] = relu.output[0]  # conv reads relu, relu reads conv: a cycle
    out.append(("cycle", m, "is not an initializer or the output of an earlier node"))

    m = tiny()
    m.opset_import[0].version = 7
    out.append(("opset7", m, "opset 7 is not supported"))

    m = tiny()
    t = m.graph.initializer[0]
    t.ClearField("raw_data")
    t.data_location = onnx.TensorProto.EXTERNAL
    t.external_data.add(key="location", value="weights.bin")
    out.append(("external_data", m, "external data is not supported"))

    torch.manual_seed(0)
    out.append(("pad_maxpool_signed", export(PadMaxSigned().eval(), (1, 8, 8), 9),
                "only supported when the input is known non-negative"))
    return out


def main():
    os.makedirs(BAD, exist_ok=True)
    save_good("stem_o9", Stem(), (3, 20, 28), 9, seed=1)
    save_good("grouped_o11", Grouped(), (4, 16, 16), 11, seed=2)
    save_good("residual_o13", Residual(), (3, 12, 12), 13, edit=residual_edit, seed=3)
    save_good("lenet_o17_static", LeNet(), (1, 32, 32), 17, dynamic=False, seed=4)
    save_good("residual_o17", Residual(), (3, 12, 12), 17, seed=5)
    with open(os.path.join(BAD, "expected.tsv"), "w") as f:
        f.write("# file\tsubstring of the expected error (tests/unit/test_onnx_bad.c)\n")
        for name, proto, message in bad_fixtures():
            onnx.save(proto, os.path.join(BAD, name + ".onnx"))
            f.write(f"{name}.onnx\t{message}\n")
    print(f"{BAD}: {len(bad_fixtures())} bad fixtures")


if __name__ == "__main__":
    main()
