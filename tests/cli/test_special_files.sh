#!/usr/bin/env bash
# Files of every type given to every command that reads one: a FIFO with no
# writer, /dev/zero, /dev/urandom, a directory, a file over its kind's size
# cap (sparse: nothing written). Each is refused within seconds (a hang
# would hit `timeout`) with exit 3 (exit 2 for the size cap), one line on
# stderr naming the file, and no output file (docs/cli.md, docs/formats.md).
# Also: a directory as the ONNX model exits 3, non-finite .npy input and
# two plan writers to one --out.
source "$(dirname "$0")/lib.sh" "$@"
profile=$(dirname "$0")/../data/planner/profile.json
accuracy=$(dirname "$0")/../data/planner/accuracy.json
mkfifo "$tmp/fifo.onnx"
mkdir "$tmp/dir" "$tmp/dir.onnx" "$tmp/models"
truncate -s 65M "$tmp/big.json"

# expect CODE WHAT COMMAND...: exit CODE within 30 s, one stderr line naming WHAT
expect() {
  local code=$1 what=$2
  shift 2
  timeout 30 "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  if [[ $rc -eq $code && $(wc -l <"$tmp/err") -eq 1 ]] && grep -qF -- "$what" "$tmp/err"; then ok
  else fail "$*: exit $rc (want $code), $(head -c 300 "$tmp/err")"; fi
}

for f in "$tmp/fifo.onnx" /dev/zero /dev/urandom "$tmp/dir"; do
  expect 3 "$f" info "$f"
  expect 3 "$f" infer vgg16:w=0.125,c=1 --input "$f"
  expect 3 "$f" memory "$f"
  expect 3 "$f" plan --profile "$f" --accuracy "$accuracy"
  expect 3 "$f" plan --profile "$profile" --accuracy "$f"
  expect 3 "$f" query --profile "$f" --accuracy "$accuracy" --sweep accuracy=80:90:5
  expect 3 "$f" run "$f"
  expect 3 "$f" sense vgg16:w=0.125,c=1 --check "$f"
  expect 3 "$f" profile vgg16:w=0.125,c=1 --quick --out "$f" --resume
done
# the message says what the file is
expect 3 "is a FIFO" info "$tmp/fifo.onnx"
expect 3 "is a device" plan --profile /dev/urandom --accuracy "$accuracy"
expect 3 "is a directory" info "$tmp/dir"
# a directory as the ONNX model, named like one or not: exit 3 (a file that
# cannot be read), not 2 (an unknown zoo name)
expect 3 "$tmp/dir.onnx" info "$tmp/dir.onnx"
expect 3 "$tmp/dir" infer "$tmp/dir"

# the models manifest and the dataset files
mkfifo "$tmp/models/manifest.json"
expect 3 "manifest.json: cannot read: is a FIFO" demo --models "$tmp/models" --out "$tmp/demo"
mkdir "$tmp/data"
mkfifo "$tmp/data/train-images-idx3-ubyte.gz"
SP_DATA_DIR=$tmp/data expect 3 "train-images-idx3-ubyte.gz: cannot read: is a FIFO" \
  infer vgg16:w=0.125,c=1 --data fashion-mnist

# a FIFO where profile keeps its journal (FILE.journal), fresh and resumed:
# never blocks, the profile goes on
mkfifo "$tmp/q.json.journal"
timeout 60 "$bin" profile mobilenet:w=0.25 --quick --min-time 0.0001 --max-time 0.001 --max-layers 1 \
  --out "$tmp/q.json" >/dev/null 2>"$tmp/err" && ok || fail "profile with a FIFO journal: $(cat "$tmp/err")"
rm -f "$tmp/q.json.journal" && mkfifo "$tmp/q.json.journal"
timeout 60 "$bin" profile mobilenet:w=0.25 --quick --min-time 0.0001 --max-time 0.001 --max-layers 1 \
  --out "$tmp/q.json" --resume >/dev/null 2>"$tmp/err" && ok || fail "resume with a FIFO journal: $(cat "$tmp/err")"

# a name with a newline and an escape: the error stays one line
expect 2 "unknown model" info $'vgg99\nstackplan info: forged\e[2J'
expect 3 "cannot read" info $'/nonexistent/a\nb.onnx'

# over the JSON cap (64 MiB): refused from its size, exit 2
expect 2 "more than the cap" plan --profile "$tmp/big.json" --accuracy "$accuracy"
expect 2 "more than the cap" plan --profile "$profile" --accuracy "$tmp/big.json"
expect 2 "more than the cap" run "$tmp/big.json"

# non-finite .npy input: exit 2 naming the file and the element
/usr/bin/python3 - "$tmp/nan.npy" "$tmp/inf.npy" <<'PY'
import struct, sys
def npy(path, values):
    h = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 32, 32), }"
    h += " " * ((64 - (10 + len(h) + 1) % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode())
        f.write(struct.pack("<%df" % len(values), *values))
v = [0.5] * 1024
v[7] = float("nan"); npy(sys.argv[1], v)
v[7] = 0.5; v[1000] = float("-inf"); npy(sys.argv[2], v)
PY
expect 2 "element 7 is NaN" infer vgg16:w=0.125,c=1 --input "$tmp/nan.npy" --output "$tmp/y.npy"
expect 2 "element 1000 is inf" infer vgg16:w=0.125,c=1 --input "$tmp/inf.npy" --output "$tmp/y.npy"
[[ ! -e $tmp/y.npy ]] && ok || fail "non-finite input: --output written"

# two plan writers to one --out, several times: every run succeeds (a
# fixed "<out>.tmp" made one of them fail with "cannot write")
fails=0
for i in 1 2 3 4 5 6; do
  "$bin" plan --profile "$profile" --accuracy "$accuracy" --out "$tmp/same.json" >/dev/null 2>"$tmp/e1" &
  a=$!
  "$bin" plan --profile "$profile" --accuracy "$accuracy" --out "$tmp/same.json" >/dev/null 2>"$tmp/e2" &
  b=$!
  wait $a || fails=$((fails + 1))
  wait $b || fails=$((fails + 1))
done
if [[ $fails -eq 0 ]] && /usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/same.json" &&
   [[ -z $(ls "$tmp" | grep '\.tmp') ]]; then ok
else fail "concurrent plan --out: $fails failed runs, $(cat "$tmp/e1" "$tmp/e2")"; fi

finish test_special_files
