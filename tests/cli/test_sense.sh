#!/usr/bin/env bash
# `stackplan sense`: the accuracy table on a synthetic Fashion-MNIST
# ($SP_DATA_DIR), the accuracy file it writes and --check reading it back,
# --curves, --additivity, --identify; every bad input (options, models, data
# files, accuracy files) exits with its documented code and one line on
# stderr, and no run leaves a partial --out file. Last, when /usr/bin/python3
# has torch and the real dataset is installed, tools/finetune_accuracy.py on
# a tiny model, its file checked by --check.
# Usage: test_sense.sh path/to/stackplan
source "$(dirname "$0")/lib.sh" "$@"
here=$(cd "$(dirname "$0")" && pwd)
root=$here/../..
small=vgg16:w=0.125,c=1

# expect CODE DESCRIPTION -- COMMAND...: the exit code, and for failures
# exactly one line on stderr.
expect() {
  local code=$1 what=$2
  shift 3
  "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  if [[ $rc -ne $code ]]; then
    fail "$what: exit $rc, expected $code: $(head -c 300 "$tmp/err")"
  elif [[ $code -ne 0 && $(wc -l <"$tmp/err") -ne 1 ]]; then
    fail "$what: expected one line on stderr, got: $(cat "$tmp/err")"
  else
    ok
  fi
}

# contains FILE TEXT DESCRIPTION
contains() {
  if grep -qF -- "$2" "$1"; then ok; else fail "$3: '$2' not in $(head -c 300 "$1")"; fi
}

# A synthetic Fashion-MNIST with the real file sizes (tests/unit/fmnist_fixture.h
# does the same in C): seeded noise for the calibration and test images.
mkdata() {
  python3 - "$1" <<'EOF'
import gzip, random, struct, sys
d = sys.argv[1]
rng = random.Random(1)
def idx(name, magic, items, size):
    head = struct.pack(">II", magic, len(items) // size) + (struct.pack(">II", 28, 28) if size > 1 else b"")
    with gzip.open(f"{d}/{name}", "wb", compresslevel=1) as f:
        f.write(head + items)
pattern = bytes(rng.randrange(256) for _ in range(784))
train = pattern * 55000 + bytes(rng.randrange(256) for _ in range(5000 * 784))
idx("train-images-idx3-ubyte.gz", 0x803, train, 784)
idx("train-labels-idx1-ubyte.gz", 0x801, bytes(rng.randrange(10) for _ in range(60000)), 1)
idx("t10k-images-idx3-ubyte.gz", 0x803, bytes(rng.randrange(256) for _ in range(10000 * 784)), 784)
idx("t10k-labels-idx1-ubyte.gz", 0x801, bytes(rng.randrange(10) for _ in range(10000)), 1)
EOF
}
mkdir -p "$tmp/data" "$tmp/empty" "$tmp/bad" "$tmp/curves"
mkdata "$tmp/data" || fail "could not write the synthetic dataset"
export SP_DATA_DIR=$tmp/data
run=(--data fashion-mnist --limit 24 --threads 2 --batch 8)

# --- help and the accuracy table ---
expect 0 "help" -- "$bin" sense --help
contains "$tmp/out" "stackplan sense MODEL --data fashion-mnist" "help"
expect 0 "table" -- "$bin" sense "$small" "${run[@]}" --quick --out "$tmp/acc.json"
contains "$tmp/out" "baseline: accuracy" "table"
contains "$tmp/out" "accuracy file: $tmp/acc.json" "table"
contains "$tmp/acc.json" '"format": "stackplan-accuracy"' "file"
contains "$tmp/acc.json" '"version": 1' "file"
contains "$tmp/acc.json" '"source": "measured"' "file"
contains "$tmp/acc.json" '"data": {"name":"fashion-mnist","split":"calib","images":24}' "file"
contains "$tmp/acc.json" '{"layer":"conv1","compression":"prune","rate":0.9,' "file"
contains "$tmp/acc.json" '{"layer":"fc2","compression":"ternary","rate":0.7,' "file"
contains "$tmp/acc.json" '{"group":"conv5","layers":["conv5","conv6"],"keep":0.5,"channels_kept":16,' "file"
if ls "$tmp"/acc.json.tmp* >/dev/null 2>&1; then fail "temp file left"; else ok; fi
# every measured entry carries its drop's 95% interval (issue #21), shown in the table
contains "$tmp/acc.json" '"drop_interval":[' "file"
contains "$tmp/out" "95% interval" "table"
# --budget: nothing straddles a 100 pp budget, so nothing is measured again (unit test_sense refines)
expect 0 "budget" -- "$bin" sense "$small" "${run[@]}" --quick --budget 100
contains "$tmp/out" "budget 100.00 pp: 0 re-measurements" "budget"
expect 2 "budget with curves" -- "$bin" sense "$small" "${run[@]}" --budget 1 --curves "$tmp/curves"
expect 2 "bad budget" -- "$bin" sense "$small" "${run[@]}" --budget -1
expect 0 "check" -- "$bin" sense "$small" --check "$tmp/acc.json"
contains "$tmp/out" "matches $small" "check"
expect 0 "onnx model, test split" -- "$bin" sense "$root/tests/data/onnx/lenet_o17_static.onnx" \
  "${run[@]}" --quick --split test --out "$tmp/lenet.json"
contains "$tmp/lenet.json" '"split":"test","images":24' "test split"
expect 0 "identify" -- "$bin" sense "$small" --identify
contains "$tmp/out" '"weights_fingerprint":' "identify"
contains "$tmp/out" '"consumers":' "identify"

# --- curves and additivity ---
expect 0 "curves" -- "$bin" sense "$small" "${run[@]}" --curves "$tmp/curves"
if [[ $(wc -l <"$tmp/curves/vgg16_curves.csv") -eq 18 ]]; then ok; else fail "curves: not 17 rows"; fi
contains "$tmp/curves/vgg16_curves.csv" "vgg16,keep,0.25," "curves"
if command -v gnuplot >/dev/null; then
  if [[ -s $tmp/curves/vgg16_curves.png ]]; then ok; else fail "curves: no PNG"; fi
fi
expect 0 "additivity" -- "$bin" sense "$small" "${run[@]}" --additivity 4 --accuracy "$tmp/acc.json" \
  --seed 3 --max-drop 50 --csv "$tmp/add.csv"
contains "$tmp/out" "optimistic in" "additivity"
if [[ $(wc -l <"$tmp/add.csv") -eq 5 ]]; then ok; else fail "additivity: not 4 rows"; fi
expect 2 "additivity, other images" -- "$bin" sense "$small" --data fashion-mnist --limit 16 \
  --additivity 4 --accuracy "$tmp/acc.json"
contains "$tmp/err" "use the same --split and --limit" "additivity, other images"

# --- bad options ---
expect 2 "no model" -- "$bin" sense
expect 2 "no data" -- "$bin" sense "$small"
expect 2 "unknown dataset" -- "$bin" sense "$small" --data cifar10
expect 2 "bad split" -- "$bin" sense "$small" --data fashion-mnist --split train
expect 2 "bad threads" -- "$bin" sense "$small" --data fashion-mnist --threads 0
expect 2 "bad parallel" -- "$bin" sense "$small" --data fashion-mnist --parallel both
expect 2 "unknown option" -- "$bin" sense "$small" --data fashion-mnist --frobnicate
expect 2 "two modes" -- "$bin" sense "$small" --data fashion-mnist --curves "$tmp" --additivity 2
expect 2 "additivity without file" -- "$bin" sense "$small" --data fashion-mnist --additivity 2
expect 2 "bad max-drop" -- "$bin" sense "$small" "${run[@]}" --additivity 2 --accuracy "$tmp/acc.json" \
  --max-drop -1
expect 2 "max-drop without additivity" -- "$bin" sense "$small" "${run[@]}" --max-drop 1
expect 2 "check with data" -- "$bin" sense "$small" --check "$tmp/acc.json" --data fashion-mnist
expect 3 "curves into a missing folder" -- "$bin" sense "$small" "${run[@]}" --curves "$tmp/nope"

# --- bad models ---
expect 2 "three input channels" -- "$bin" sense vgg16:w=0.125 --data fashion-mnist --limit 4
contains "$tmp/err" "vgg16:w=0.125 has input 3x32x32" "three input channels"
contains "$tmp/err" "needs input 1x32x32 and 10 outputs" "three input channels"
expect 2 "other input size" -- "$bin" sense "$root/tests/data/onnx/residual_o13.onnx" --data fashion-mnist
expect 2 "unknown model" -- "$bin" sense nosuchmodel --data fashion-mnist
if /usr/bin/python3 -c "import onnx" 2>/dev/null; then
  # 1x32x32 in, 7 outputs: the output count differs from the dataset's classes
  /usr/bin/python3 - "$tmp/seven.onnx" <<'EOF'
import sys, numpy as np, onnx
from onnx import helper, numpy_helper, TensorProto
w = numpy_helper.from_array(np.zeros((1024, 7), np.float32), "fc.weight")
g = helper.make_graph([helper.make_node("Flatten", ["x"], ["f"], axis=1),
                       helper.make_node("MatMul", ["f", "fc.weight"], ["y"])], "seven",
                      [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 32, 32])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 7])], [w])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), sys.argv[1])
EOF
  expect 2 "seven outputs" -- "$bin" sense "$tmp/seven.onnx" --data fashion-mnist --limit 4
  contains "$tmp/err" "and 7 outputs" "seven outputs"
fi

# --- bad data files ---
SP_DATA_DIR=$tmp/empty expect 2 "missing dataset" -- "$bin" sense "$small" --data fashion-mnist
contains "$tmp/err" "train-images-idx3-ubyte.gz" "missing dataset"
contains "$tmp/err" "apt-get install dataset-fashion-mnist" "missing dataset"
cp "$tmp/data"/*.gz "$tmp/bad/"
gzip -dc "$tmp/data/train-images-idx3-ubyte.gz" | head -c 1000000 | gzip -1 >"$tmp/bad/train-images-idx3-ubyte.gz"
SP_DATA_DIR=$tmp/bad expect 2 "truncated dataset" -- "$bin" sense "$small" --data fashion-mnist
contains "$tmp/err" "train-images-idx3-ubyte.gz" "truncated dataset"

# --- the --out file: complete or absent, never partial ---
expect 3 "out into a missing folder" -- "$bin" sense "$small" "${run[@]}" --quick --out "$tmp/nope/a.json"
if [[ -e $tmp/nope ]]; then fail "out into a missing folder created it"; else ok; fi
echo keep >"$tmp/old.json"
expect 2 "failing run keeps the old file" -- "$bin" sense vgg16:w=0.125 --data fashion-mnist \
  --out "$tmp/old.json"
if [[ $(cat "$tmp/old.json") == keep ]]; then ok; else fail "a failing run changed --out"; fi
SP_DATA_DIR=$tmp/empty expect 2 "no data keeps the old file" -- "$bin" sense "$small" \
  --data fashion-mnist --out "$tmp/old.json"
if [[ $(cat "$tmp/old.json") == keep ]]; then ok; else fail "a failing run changed --out"; fi

# --- bad accuracy files ---
expect 2 "other weights" -- "$bin" sense "$small,seed=2" --check "$tmp/acc.json"
contains "$tmp/err" "weights_fingerprint" "other weights"
expect 2 "other architecture" -- "$bin" sense resnet18:w=0.125,c=1 --check "$tmp/acc.json"
contains "$tmp/err" "structure_fingerprint" "other architecture"
head -c 700 "$tmp/acc.json" >"$tmp/cut.json"
expect 2 "truncated accuracy file" -- "$bin" sense "$small" --check "$tmp/cut.json"
contains "$tmp/err" "not valid JSON" "truncated accuracy file"
sed 's/"version": 1/"version": 9/' "$tmp/acc.json" >"$tmp/v9.json"
expect 2 "version 9" -- "$bin" sense "$small" --check "$tmp/v9.json"
contains "$tmp/err" "v9.json: version: 9 is not supported" "version 9"
sed 's/stackplan-accuracy/stackplan-plan/' "$tmp/acc.json" >"$tmp/fmt.json"
expect 2 "other format" -- "$bin" sense "$small" --check "$tmp/fmt.json"
sed 's/"layer":"conv2"/"layer":"conv99"/' "$tmp/acc.json" >"$tmp/names.json"
expect 2 "unknown layer" -- "$bin" sense "$small" --check "$tmp/names.json"
contains "$tmp/err" "has no conv/fc layer 'conv99'" "unknown layer"
sed 's/"rate":0.9/"ratio":0.9/' "$tmp/acc.json" >"$tmp/field.json"
expect 2 "missing field" -- "$bin" sense "$small" --check "$tmp/field.json"
contains "$tmp/err" "].rate: missing" "missing field"
expect 3 "missing accuracy file" -- "$bin" sense "$small" --check "$tmp/none.json"
expect 3 "missing accuracy file (additivity)" -- "$bin" sense "$small" "${run[@]}" --additivity 2 \
  --accuracy "$tmp/none.json"

# --- a user-supplied file from PyTorch (skipped without torch or the real data) ---
# With --steps 0 the tool only compresses: its accuracies must be sense's (the
# same rules on the same folded weights, up to float rounding); then a short
# fine-tuning run writes a "user" file that --check accepts.
real=/usr/share/datasets/fashion-mnist
py() { SP_DATA_DIR= /usr/bin/python3 "$root/tools/finetune_accuracy.py" "$@" >"$tmp/py.out" 2>&1; }
if /usr/bin/python3 -c "import torch, onnx" 2>/dev/null && [[ -e $real/train-images-idx3-ubyte.gz ]] &&
  [[ ${SP_SANITIZED:-0} != 1 ]]; then
  tiny=(--model "$tmp/tiny.onnx" --arch vgg16 --width 0.125 --stackplan "$bin" --limit 64
    --layers conv12,fc1 --rates 0.9 --keeps 0.5)
  py --export-random vgg16 --width 0.125 --out "$tmp/tiny.onnx" || fail "export: $(tail -3 "$tmp/py.out")"
  py "${tiny[@]}" --steps 0 --out "$tmp/user0.json" || fail "tool: $(tail -3 "$tmp/py.out")"
  SP_DATA_DIR= expect 0 "sense on the real data" -- "$bin" sense "$tmp/tiny.onnx" --data fashion-mnist \
    --limit 64 --out "$tmp/c.json"
  python3 - "$tmp/user0.json" "$tmp/c.json" >"$tmp/cmp.out" 2>&1 <<'EOF2'
import json, sys
user, c = (json.load(open(p)) for p in sys.argv[1:])
def key(e):
    return (e.get("layer") or e["group"], e.get("compression", "keep"), e.get("rate", e.get("keep")))
want = {key(e): e for e in c["layers"] + c["groups"]}
bad = [key(e) for e in user["layers"] + user["groups"]
       if abs(e["loss"] - want[key(e)]["loss"]) > 1e-6 * want[key(e)]["loss"]
       or abs(e["accuracy"] - want[key(e)]["accuracy"]) > 100 / 64 + 1e-9]
n = len(user["layers"]) + len(user["groups"])
print(f"{n} entries, {len(bad)} differ: {bad}")
sys.exit(1 if bad or n != 6 else 0)
EOF2
  if [[ $? -eq 0 ]]; then ok; else fail "tool --steps 0 vs sense: $(cat "$tmp/cmp.out")"; fi
  py "${tiny[@]}" --steps 2 --out "$tmp/user.json" || fail "tool: $(tail -3 "$tmp/py.out")"
  expect 0 "user file checks" -- "$bin" sense "$tmp/tiny.onnx" --check "$tmp/user.json"
  contains "$tmp/out" "source user" "user file"
  contains "$tmp/user.json" '"compression":"ternary"' "user file"
  contains "$tmp/user.json" '"group":"conv12"' "user file"
else
  echo "test_sense: torch, onnx or $real missing (or sanitized build): finetune_accuracy.py not run"
fi

finish test_sense
