#!/usr/bin/env bash
# The shipped models (models/manifest.json): each file is what the manifest
# says (sha256, under 25 MB), the engine's logits on the 100 reference test
# images equal PyTorch's within 1e-4 (max abs), and its Fashion-MNIST test
# accuracy equals PyTorch's within 0.05 pp. The accuracy pass (10,000 images)
# runs in the Release build only; under sanitizers it is slow and the logits
# already check the same arithmetic. Usage: test_models.sh path/to/stackplan
source "$(dirname "$0")/lib.sh" "$@"
models=$(cd "$(dirname "$0")/../../models" && pwd)
py=/usr/bin/python3
expected="mobilenet resnet18 vgg16"   # the models the project ships

names=$($py - "$models/manifest.json" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
assert m["format"] == "stackplan-models" and m["version"] == 1, "manifest header"
print(" ".join(sorted(e["name"] for e in m["models"])))
EOF
) && ok || fail "manifest unreadable"
[[ $names == "$expected" ]] && ok || fail "manifest lists '$names', expected '$expected'"

field() { # NAME KEY: one field of a manifest entry
  $py -c 'import json,sys
m = [e for e in json.load(open(sys.argv[1]))["models"] if e["name"] == sys.argv[2]][0]
print(m[sys.argv[3]])' "$models/manifest.json" "$1" "$2"
}

for name in $names; do
  onnx=$models/$(field "$name" file)
  sum=$(sha256sum "$onnx" | cut -d' ' -f1)
  [[ $sum == "$(field "$name" sha256)" ]] && ok || fail "$name: sha256 differs from the manifest"
  for f in "$onnx" "$models/$(field "$name" ref_input)" "$models/$(field "$name" ref_logits)"; do
    [[ $(stat -c %s "$f") -lt 25000000 ]] && ok || fail "$f is over 25 MB"
  done

  "$bin" infer "$onnx" --input "$models/$(field "$name" ref_input)" --output "$tmp/$name.npy" \
    --repeat 1 >"$tmp/out" 2>"$tmp/err" || fail "$name: infer --input: $(cat "$tmp/err")"
  if diff=$($py - "$tmp/$name.npy" "$models/$(field "$name" ref_logits)" <<'EOF'
import numpy as np, sys
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
assert a.shape == b.shape == (100, 10), (a.shape, b.shape)
d = float(np.abs(a - b).max())
print(f"{d:.3g}")
sys.exit(0 if d <= 1e-4 else 1)
EOF
  ); then ok; else fail "$name: logits differ from PyTorch's by $diff (max abs)"; fi
  echo "$name: logits max abs difference $diff"

  if [[ -z ${SP_SANITIZED:-} ]]; then
    "$bin" infer "$onnx" --data fashion-mnist --threads 1 >"$tmp/out" 2>"$tmp/err" ||
      fail "$name: infer --data: $(cat "$tmp/err")"
    acc=$(sed -n 's/^accuracy: \([0-9.]*\)% .*/\1/p' "$tmp/out")
    torch_acc=$(field "$name" test_accuracy)
    if $py -c 'import sys; sys.exit(not abs(float(sys.argv[1]) - float(sys.argv[2])) <= 0.05)' \
        "${acc:-nan}" "$torch_acc"; then ok
    else fail "$name: engine accuracy '${acc}' vs PyTorch $torch_acc"; fi
    echo "$name: test accuracy engine $acc%, PyTorch $torch_acc%"
  fi
done

finish test_models
