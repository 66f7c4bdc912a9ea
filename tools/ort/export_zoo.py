#!/usr/bin/python3
"""Export the zoo architectures (He/PyTorch default initialisation, BN in eval
mode) to ONNX for tools/ort_compare.sh: the same graphs the C engine builds
for `MODEL:w=W,c=C`, so ONNX Runtime and stackplan run identical networks.

  /usr/bin/python3 tools/ort/export_zoo.py OUT_DIR [--width 1] [--channels 3]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import torch  # noqa: E402
import train  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("out_dir")
ap.add_argument("--width", type=float, default=1.0)
ap.add_argument("--channels", type=int, default=3)
ap.add_argument("--models", default=",".join(train.MODELS))
a = ap.parse_args()
torch.manual_seed(1)
os.makedirs(a.out_dir, exist_ok=True)
for name in a.models.split(","):
    model = train.build_model(name, a.width, a.channels)
    path = os.path.join(a.out_dir, f"{name}.onnx")
    train.export_onnx(model, argparse.Namespace(channels=a.channels), path)
    print(path)
