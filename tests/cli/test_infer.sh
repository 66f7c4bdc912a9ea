#!/usr/bin/env bash
# stackplan infer: random inputs (the default), --check, .npy input/output,
# --data fashion-mnist, ONNX models, and every kind of bad option or file
# failing with the documented exit code, one line on stderr, and no output
# file left behind. Usage: test_infer.sh path/to/stackplan
set -u
bin=${1:?usage: test_infer.sh path/to/stackplan}
here=$(cd "$(dirname "$0")" && pwd)
fixtures=$here/../data/onnx
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0 checks=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# expect CODE DESCRIPTION -- COMMAND...: runs it, checks the exit code and,
# for failures, that stderr is exactly one line.
expect() {
  local code=$1 what=$2; shift 3
  checks=$((checks + 1))
  "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  if [ "$rc" -ne "$code" ]; then
    fail "$what: exit $rc, expected $code: $(head -c 300 "$tmp/err")"
  elif [ "$code" -ne 0 ] && [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
    fail "$what: expected one line on stderr, got: $(cat "$tmp/err")"
  fi
}

# contains FILE TEXT DESCRIPTION
contains() {
  checks=$((checks + 1))
  grep -qF -- "$2" "$1" || fail "$3: '$2' not in $(head -c 300 "$1")"
}

# mknpy FILE DICT DATA_BYTES [MAJOR]: a .npy with that header dict.
mknpy() {
  local f=$1 dict=$2 n=$3 major=${4:-1}
  local hl=$(((10 + ${#dict} + 1 + 63) / 64 * 64 - 10))
  {
    printf '\x93NUMPY'
    printf "\\x$(printf %02x "$major")\\x00"
    printf "\\x$(printf %02x $((hl & 255)))\\x$(printf %02x $((hl >> 8)))"
    printf '%s%*s\n' "$dict" $((hl - ${#dict} - 1)) ''
    head -c "$n" /dev/zero
  } >"$f"
}

# --- random inputs: the default ---
expect 0 "random default" -- "$bin" infer resnet18:w=0.25 --repeat 2
contains "$tmp/out" "predictions:" "random default"
contains "$tmp/out" "latency: median" "random default"
expect 0 "random --check" -- "$bin" infer mobilenet:w=0.25 --batch 2 --repeat 1 --check --threads 2
contains "$tmp/out" "(ok)" "random --check"
expect 0 "onnx --check" -- "$bin" infer "$fixtures/residual_o13.onnx" --repeat 1 --check --layers
contains "$tmp/out" "bn6" "onnx --layers"

# --- bad options ---
expect 2 "unknown option" -- "$bin" infer vgg16 --frobnicate
expect 2 "missing model" -- "$bin" infer
expect 2 "two models" -- "$bin" infer vgg16 resnet18
expect 2 "batch 0" -- "$bin" infer vgg16 --batch 0
expect 2 "threads x" -- "$bin" infer vgg16 --threads x
expect 2 "output without input" -- "$bin" infer vgg16 --output "$tmp/y.npy"
expect 2 "split without data" -- "$bin" infer vgg16 --split calib
expect 2 "limit without data" -- "$bin" infer vgg16 --limit 5
expect 2 "bad split" -- "$bin" infer vgg16 --data fashion-mnist --split train
expect 2 "unknown dataset" -- "$bin" infer vgg16:c=1 --data cifar10
expect 2 "data and input" -- "$bin" infer vgg16 --data fashion-mnist --input "$tmp/x.npy"
expect 2 "batch with input" -- "$bin" infer vgg16 --input "$tmp/x.npy" --batch 2
expect 2 "unknown model" -- "$bin" infer nosuchmodel
expect 3 "missing onnx file" -- "$bin" infer "$tmp/missing.onnx"
expect 2 "bad onnx" -- "$bin" infer "$fixtures/bad/sigmoid.onnx"
contains "$tmp/err" "unsupported op 'Sigmoid' in node '/act/Sigmoid'" "bad onnx"
contains "$tmp/err" "sigmoid.onnx" "bad onnx"

# --- .npy input and output ---
x=$fixtures/stem_o9.input.npy
expect 0 "npy in/out" -- "$bin" infer "$fixtures/stem_o9.onnx" --input "$x" --output "$tmp/y.npy" --check
contains "$tmp/out" "output: $tmp/y.npy (3 x 10 float32)" "npy in/out"
checks=$((checks + 1))
[ "$(stat -c %s "$tmp/y.npy" 2>/dev/null)" = 248 ] || fail "y.npy: expected 248 bytes (128 header + 3x10 floats)"
checks=$((checks + 1))
head -c 128 "$tmp/y.npy" | grep -qa "'descr': '<f4', 'fortran_order': False, 'shape': (3, 10), }" ||
  fail "y.npy: unexpected header"
if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
  checks=$((checks + 1))
  /usr/bin/python3 -c "
import numpy as np, sys
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
sys.exit(0 if a.shape == b.shape and np.abs(a - b).max() <= 1e-4 else 1)" \
    "$tmp/y.npy" "$fixtures/stem_o9.output.npy" || fail "y.npy differs from PyTorch's output"
fi
rm -f "$tmp/y.npy"

# bad inputs: exit 2, one line naming the file, no output file
good="{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 20, 28), }"
n=$((3 * 20 * 28 * 4))
mknpy "$tmp/magic.npy" "$good" $n && printf 'X' | dd of="$tmp/magic.npy" bs=1 conv=notrunc 2>/dev/null
mknpy "$tmp/version.npy" "$good" $n 3
mknpy "$tmp/f8.npy" "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 3, 20, 28), }" $((n * 2))
mknpy "$tmp/bigendian.npy" "{'descr': '>f4', 'fortran_order': False, 'shape': (1, 3, 20, 28), }" $n
mknpy "$tmp/i4.npy" "{'descr': '<i4', 'fortran_order': False, 'shape': (1, 3, 20, 28), }" $n
mknpy "$tmp/fortran.npy" "{'descr': '<f4', 'fortran_order': True, 'shape': (1, 3, 20, 28), }" $n
mknpy "$tmp/rank2.npy" "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 560), }" $n
mknpy "$tmp/rank3.npy" "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 20, 28), }" $n
mknpy "$tmp/rank5.npy" "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 3, 20, 28), }" $n
mknpy "$tmp/shape.npy" "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 28, 20), }" $n
mknpy "$tmp/truncated.npy" "$good" $((n - 4))
head -c 60 "$tmp/truncated.npy" >"$tmp/header_past_eof.npy"
for f in magic version f8 bigendian i4 fortran rank2 rank3 rank5 shape truncated header_past_eof; do
  expect 2 "$f.npy" -- "$bin" infer "$fixtures/stem_o9.onnx" --input "$tmp/$f.npy" --output "$tmp/y.npy"
  contains "$tmp/err" "$tmp/$f.npy" "$f.npy names the file"
  checks=$((checks + 1))
  [ ! -e "$tmp/y.npy" ] || fail "$f.npy: --output was created"
done
contains "$tmp/err" "runs past the end" "header_past_eof.npy"
expect 3 "missing input" -- "$bin" infer "$fixtures/stem_o9.onnx" --input "$tmp/none.npy" --output "$tmp/y.npy"
expect 3 "output dir missing" -- "$bin" infer "$fixtures/stem_o9.onnx" --input "$x" --output "$tmp/no/dir/y.npy"
checks=$((checks + 1))
[ -z "$(ls "$tmp" | grep 'tmp\.')" ] || fail "a temporary output file was left behind"

# --- --data fashion-mnist ---
mkdir -p "$tmp/data"
SP_DATA_DIR=$tmp/data expect 2 "data missing" -- "$bin" infer "$fixtures/lenet_o17_static.onnx" --data fashion-mnist
contains "$tmp/err" "train-images-idx3-ubyte.gz" "data missing names the file"
contains "$tmp/err" "apt-get install dataset-fashion-mnist" "data missing says what to install"
printf '\x00\x00\x08\x03\x00\x00\xea\x60\x00\x00\x00\x1c\x00\x00\x00\x1c' | cat - <(head -c 5000 /dev/zero) |
  gzip -c | head -c 100 >"$tmp/data/train-images-idx3-ubyte.gz"
SP_DATA_DIR=$tmp/data expect 2 "data truncated gz" -- "$bin" infer "$fixtures/lenet_o17_static.onnx" --data fashion-mnist
contains "$tmp/err" "train-images-idx3-ubyte.gz" "truncated gz names the file"
printf '\x00\x00\x08\x01\x00\x00\x00\x01\x00\x00\x00\x1c\x00\x00\x00\x1c' | gzip -c >"$tmp/data/train-images-idx3-ubyte.gz"
SP_DATA_DIR=$tmp/data expect 2 "data wrong magic" -- "$bin" infer "$fixtures/lenet_o17_static.onnx" --data fashion-mnist
contains "$tmp/err" "magic" "wrong magic"
expect 2 "data model shape" -- "$bin" infer vgg16:w=0.1 --data fashion-mnist
contains "$tmp/err" "model vgg16:w=0.1" "model shape names the model"
contains "$tmp/err" "1x32x32" "model shape names the expected shape"
expect 2 "data model classes" -- "$bin" infer "$fixtures/residual_o13.onnx" --data fashion-mnist
if [ -r /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ]; then
  expect 0 "data real" -- "$bin" infer "$fixtures/lenet_o17_static.onnx" --data fashion-mnist --limit 50 --verbose
  contains "$tmp/out" ", 50 images)" "data real"
  contains "$tmp/out" "mean 0.28581731 std 0.35293721" "data real --verbose"
  checks=$((checks + 1))
  grep -qE '^accuracy: [0-9]+\.[0-9]{2}% \([0-9]+/50\) on fashion-mnist test$' "$tmp/out" ||
    fail "data real: accuracy line: $(cat "$tmp/out")"
  expect 0 "data calib batch" -- "$bin" infer "$fixtures/lenet_o17_static.onnx" --data fashion-mnist --split calib --limit 9 --batch 4 --threads 2
  contains "$tmp/out" "/9) on fashion-mnist calib" "data calib"
  contains "$tmp/out" "per image (batch 4, 2 timed batches" "data calib"
else
  echo "test_infer: dataset-fashion-mnist not installed, real-data checks skipped"
fi

# --- info on ONNX files ---
if "$bin" info --help >/dev/null 2>&1; then
  expect 0 "info onnx" -- "$bin" info "$fixtures/residual_o13.onnx"
  contains "$tmp/out" "conv1" "info onnx"
fi

echo "test_infer: $checks checks, $failures failed"
[ "$failures" -eq 0 ]
