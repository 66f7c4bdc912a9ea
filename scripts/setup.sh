#!/usr/bin/env bash
# One-command set-up: installs the Debian packages stackplan needs (only those
# missing, non-interactively, as root or through sudo) and builds the Release
# binary build/stackplan.
#   scripts/setup.sh              packages + build
#   scripts/setup.sh --training   also python3-torch, for tools/train.py
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config             # toolchain
  libglpk-dev libcjson-dev zlib1g-dev          # planner ILP, JSON files, gzip data
  libopenblas-dev                              # BLAS GEMM variants
  ocl-icd-opencl-dev opencl-c-headers          # OpenCL loader and headers
  pocl-opencl-icd clinfo libclblast-dev        # OpenCL on the CPU, CLBlast
  libprotobuf-c-dev protobuf-c-compiler        # ONNX import
  python3 python3-numpy python3-onnx           # onnx.proto, .npy test fixtures
  dataset-fashion-mnist                        # real data
  gnuplot-nox                                  # plots
)
for arg in "$@"; do
  case "$arg" in
    --training) packages+=(python3-torch) ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" -eq 0 ]; then as_root=()
  elif command -v sudo >/dev/null; then as_root=(sudo)
  else echo "setup.sh: need root or sudo to install: ${missing[*]}" >&2; exit 1
  fi
  echo "setup.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$jobs"
echo "setup.sh: built build/stackplan"
