#!/usr/bin/env bash
# stackplan demo: bad options and manifests (exit 2/3, one line); in the
# Release build, the whole pipeline on the shipped MobileNet with few images:
# a report with the plan, its verification and the comparison table.
source "$(dirname "$0")/lib.sh" "$@"
models=$(cd "$(dirname "$0")/../../models" && pwd)

expect_usage_error_of demo --frobnicate
expect_usage_error_of demo --limit 0
expect_usage_error_of demo --models "$models" --only alexnet --out "$tmp/d"
mkdir -p "$tmp/empty"
"$bin" demo --models "$tmp/empty" --out "$tmp/d" >"$tmp/out" 2>"$tmp/err"
[[ $? -eq 3 && $(wc -l <"$tmp/err") -eq 1 ]] && ok || fail "no manifest: $(cat "$tmp/err")"
echo '{"format": "stackplan-models"' >"$tmp/empty/manifest.json"   # truncated
expect_usage_error_of demo --models "$tmp/empty" --out "$tmp/d"
echo '{"format": "stackplan-models", "version": 2, "models": []}' >"$tmp/empty/manifest.json"
expect_usage_error_of demo --models "$tmp/empty" --out "$tmp/d"
grep -q "version" "$tmp/err" && ok || fail "manifest version: $(cat "$tmp/err")"
echo '{"format": "stackplan-models", "version": 1, "models": []}' >"$tmp/empty/manifest.json"
expect_usage_error_of demo --models "$tmp/empty" --out "$tmp/d"

if [[ -z ${SP_SANITIZED:-} ]]; then
  if "$bin" demo --models "$models" --only mobilenet --limit 100 --out "$tmp/d" >"$tmp/out" 2>"$tmp/err"; then ok
  else fail "demo: exit $?: $(tail -3 "$tmp/err")"; fi
  r=$tmp/d/report.md
  for what in "## mobilenet" "verified in" "verified on up to 5000 calibration images: a plan holds when the lower end" \
    "### Predicted against measured" "best single configuration" "| **the plan** |" \
    "| peak memory (MB; measured: peak RSS growth" "| peak memory (MB; the executor's bookkeeping, not a measurement) |"; do
    grep -qF "$what" "$r" && ok || fail "report: no '$what'"
  done
  [[ -s $tmp/d/mobilenet.plan.json && ! -e $r.tmp ]] && ok || fail "demo: plan missing or report half-written"

  # plan --verify cuts off plans the additive model over-rates: with an accuracy file that calls every
  # compression free, the fastest plan (heavily compressed) misses, the bound rises to the baseline,
  # the plan misses again and is cut off, until a plan holds on the calibration split
  /usr/bin/python3 - "$tmp/d/mobilenet.accuracy.json" "$tmp/lie.json" <<'EOF'
import json, sys
a = json.load(open(sys.argv[1]))
for e in a["layers"] + a["groups"]:
    e["accuracy"] = a["baseline"]["accuracy"]
    e.pop("drop_interval", None)  # it must hold the drop: a lie has none
    e.pop("images", None), e.pop("baseline", None)
json.dump(a, open(sys.argv[2], "w"))
EOF
  goal=$(/usr/bin/python3 -c "import json; print(round(json.load(open('$tmp/lie.json'))['baseline']['accuracy'] - 2, 2))")
  if "$bin" plan --profile "$tmp/d/mobilenet.profile.json" --accuracy "$tmp/lie.json" --min-accuracy "$goal" \
      --verify --limit 1000 --out "$tmp/v.json" >"$tmp/out" 2>"$tmp/err"; then ok
  else fail "verify with a lying accuracy file: exit $?: $(cat "$tmp/err")"; fi
  last=$(sed -n 's/^verify round [0-9]*: .* measured \([0-9.]*\)% on calib.*/\1/p' "$tmp/out" | tail -1)
  grep -q "^verify: the additive model rated that plan [0-9.]* pp too high" "$tmp/out" &&
    grep -q "^verified in [0-9]* rounds" "$tmp/out" &&
    /usr/bin/python3 -c "import sys; sys.exit(0 if float('${last:-0}') >= $goal else 1)" &&
    ok || fail "verify cut: $(grep verif "$tmp/out")"
fi

finish test_demo
