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
  for what in "## mobilenet" "verified in" "### Predicted against measured" "best single configuration" \
    "| **the plan** |"; do
    grep -qF "$what" "$r" && ok || fail "report: no '$what'"
  done
  [[ -s $tmp/d/mobilenet.plan.json && ! -e $r.tmp ]] && ok || fail "demo: plan missing or report half-written"
fi

finish test_demo
