#!/usr/bin/env bash
# `stackplan tune`: a small tuning on the OpenCL device writes the cache, a
# second run costs nothing ("(cached)"), `profile` runs the device variant
# at the tuned point, a corrupt cache is ignored with one warning and
# rewritten, and bad options exit 2 with one line. Device parts are
# skipped without an OpenCL device; timings are never asserted.
source "$(dirname "$0")/lib.sh" "$@"
export SP_CACHE_DIR="$tmp/cache"
model="mobilenet:w=0.25"
layer=blocks.1.dw
py=/usr/bin/python3

expect_usage_error_of tune "$model" --strategy genetic
grep -q "unknown strategy 'genetic'" "$tmp/err" && ok || fail "strategy: $(cat "$tmp/err")"
expect_usage_error_of tune "$model" --budget 0
expect_usage_error_of tune "$model" --fraction 2
expect_usage_error_of tune "$model" --time x
expect_usage_error_of tune "$model" --patience 0
expect_usage_error_of tune "$model" --variant conv2d__direct_serial
grep -q "has no parameters to tune" "$tmp/err" && ok || fail "variant: $(cat "$tmp/err")"
expect_usage_error_of tune "$model" --variant conv2d__magic
expect_usage_error_of tune "$model" --bogus
expect_usage_error_of tune
expect_usage_error_of tune "$model" --device 99
SP_OPENCL=0 "$bin" tune "$model" >"$tmp/out" 2>"$tmp/err"; rc=$?
if [[ $rc -eq 2 ]] && grep -q "no OpenCL device" "$tmp/err"; then ok; else fail "SP_OPENCL=0 tune: exit $rc"; fi

if ! "$bin" devices | grep -q "^device 0 ("; then
  echo "test_tune: no OpenCL device, device parts skipped"
  finish test_tune
  exit $?
fi

expect_usage_error_of tune "$model" --device 0 --layer nope
grep -q "has no layer 'nope'" "$tmp/err" && ok || fail "layer: $(cat "$tmp/err")"

# a tuning: every variant with parameters that runs the layer, one line each
on_pocl "$bin" tune "$model" --device 0 --layer $layer --budget 4 --seed 3 >"$tmp/out" 2>"$tmp/err"; rc=$?
cache=$(ls "$SP_CACHE_DIR"/tuning/*.json 2>/dev/null | head -n1)
if [[ $rc -eq 0 && -n $cache ]] && grep -q "^$layer  *conv2d__depthwise_opencl  *4 evaluations" "$tmp/out" &&
   grep -q "speed-up" "$tmp/out" && ! grep -q "(cached)" "$tmp/out"; then ok
else fail "tune: exit $rc, $(cat "$tmp/out" "$tmp/err")"; fi
if $py - "$cache" <<'EOF'; then ok; else fail "cache contents"; fi
import json, sys
c = json.load(open(sys.argv[1]))
assert c["format"] == "stackplan-tuning" and c["version"] == 1
e = [e for e in c["entries"] if e["variant"] == "conv2d__depthwise_opencl"]
assert len(e) == 1 and e[0]["evaluations"] == 4 and e[0]["space"] > 100
assert set(e[0]["params"]) == {"wg_x", "wg_y", "px"} and " dw " in e[0]["shape"]
assert e[0]["strategy"] == "anneal" and e[0]["seed"] == 3
EOF
# again: nothing runs
on_pocl "$bin" tune "$model" --device 0 --layer $layer --budget 4 --seed 3 >"$tmp/out2" 2>"$tmp/err"; rc=$?
if [[ $rc -eq 0 ]] && grep -q "conv2d__depthwise_opencl .*(cached)" "$tmp/out2"; then ok
else fail "tune again: exit $rc, $(cat "$tmp/out2")"; fi

# the profile runs the device variant at the tuned point
on_pocl "$bin" profile "$model" --quick --device 0 --min-time 0.0001 --max-time 0.001 \
  --variants conv2d__depthwise_opencl,conv2d__direct_serial --out "$tmp/p.json" >"$tmp/out" 2>"$tmp/err"; rc=$?
if [[ $rc -eq 0 ]] && $py - "$tmp/p.json" "$cache" $layer <<'EOF'; then ok; else fail "tuned point in the profile: exit $rc"; fi
import json, sys
p, c, layer = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
best = [e for e in c["entries"] if e["variant"] == "conv2d__depthwise_opencl"][0]["params"]
rs = [r for r in p["records"] if r["layer"] == layer and r["variant"] == "conv2d__depthwise_opencl"]
assert rs and all(r["residency"] == "device:0" for r in rs)
full = [r for r in rs if r["keep_in"] == 1]
assert full and all(r["tuned"] and r["params"] == best for r in full), full
# other layers' depthwise convs were not tuned: defaults
other = [r for r in p["records"] if r["layer"] == "blocks.0.dw" and r["variant"] == "conv2d__depthwise_opencl"]
assert other and not any(r["tuned"] for r in other)
assert any(t["tensor"] == layer for t in p["transitions"])
EOF

# a corrupt cache: one warning, then replaced by a valid one
printf 'garbage' >"$cache"
on_pocl "$bin" tune "$model" --device 0 --layer $layer --budget 2 --variant conv2d__depthwise_opencl >"$tmp/out" 2>"$tmp/err"; rc=$?
if [[ $rc -eq 0 && $(grep -c "ignoring the tuning cache .*not valid JSON" "$tmp/err") -eq 1 ]] &&
   $py -c 'import json,sys; json.load(open(sys.argv[1]))' "$cache"; then ok
else fail "corrupt cache: exit $rc, $(cat "$tmp/err")"; fi

# a cache that cannot be written (its folder would be under a file): exit 3
# with one line before any search (nothing on stdout, not even the header)
printf 'a file' >"$tmp/notdir"
SP_CACHE_DIR="$tmp/notdir/cache" on_pocl "$bin" tune "$model" --device 0 --layer $layer --budget 50 \
  --variant conv2d__depthwise_opencl >"$tmp/out" 2>"$tmp/err"; rc=$?
if [[ $rc -eq 3 && $(wc -l <"$tmp/err") -eq 1 && ! -s $tmp/out ]] && grep -q "notdir/cache" "$tmp/err"; then ok
else fail "unwritable cache: exit $rc, $(cat "$tmp/out" "$tmp/err")"; fi

finish test_tune
