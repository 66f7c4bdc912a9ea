#!/usr/bin/env bash
# `stackplan devices` and `bench --device`: the device list (text and JSON),
# the CPU-only path (SP_OPENCL=0), bad device ids (exit 2 naming the id and
# the valid ones), OpenCL variants timed next to the CPU ones, a second run
# that loads every program from the cache instead of compiling, and a kernel
# that does not build recorded as a failed variant. Device parts are skipped
# when there is no OpenCL device.
source "$(dirname "$0")/lib.sh" "$@"
export SP_CACHE_DIR="$tmp/cache"
model="mobilenet:w=0.25"

"$bin" devices >"$tmp/out" 2>"$tmp/err"; rc=$?
if [[ $rc -eq 0 ]] && grep -qE "^device 0 \(|^no OpenCL device" "$tmp/out"; then ok
else fail "devices: exit $rc, $(head -n1 "$tmp/out")"; fi
have_device=0
grep -q "^device 0 (" "$tmp/out" && have_device=1

if "$bin" devices --json | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["format"] == "stackplan-devices" and d["version"] == 1
for i, x in enumerate(d["devices"]):
    assert x["index"] == i and ":" in x["id"] and x["name"] and x["max_work_group_size"] >= 1
'; then ok; else fail "devices --json"; fi

# CPU only: said once, on stderr; the list is empty; CPU benches still run
SP_OPENCL=0 "$bin" devices >"$tmp/out" 2>"$tmp/err"
if grep -qE "^no OpenCL device \((OpenCL disabled by SP_OPENCL=0|built without OpenCL)\)" "$tmp/out" &&
   [[ $(grep -c "CPU only" "$tmp/err") -eq 1 ]]; then ok
else fail "SP_OPENCL=0 devices: $(cat "$tmp/out" "$tmp/err")"; fi
if SP_OPENCL=0 "$bin" bench "$model" --layer blocks.1.dw --min-time 0.002 >"$tmp/out" 2>&1 &&
   grep -q "conv2d__direct_serial" "$tmp/out" && ! grep -q "opencl" "$tmp/out"; then ok
else fail "SP_OPENCL=0 bench"; fi
if SP_OPENCL=0 "$bin" bench "$model" --device 0 >"$tmp/out" 2>"$tmp/err"; then
  fail "SP_OPENCL=0 bench --device 0 succeeded"
elif [[ $? -eq 2 ]] && grep -q "no OpenCL device '0'" "$tmp/err"; then ok
else fail "SP_OPENCL=0 bench --device 0: $(cat "$tmp/err")"; fi

expect_usage_error_of devices --bogus
expect_usage_error_of bench "$model" --device
if [[ $have_device -eq 1 ]]; then
  for id in 99 0:99 x -1; do
    expect_usage_error_of bench "$model" --device "$id"
    if grep -q "no OpenCL device '$id'; valid ids: 0 or 0:0" "$tmp/err"; then ok
    else fail "bench --device $id: $(cat "$tmp/err")"; fi
  done

  # OpenCL variants next to the CPU ones; first run compiles, second loads
  layer=blocks.1.dw
  SP_OPENCL_LOG=1 "$bin" bench "$model" --layer $layer --device 0 --min-time 0.002 \
    >"$tmp/out" 2>"$tmp/err"
  if grep -qE "^$layer .* conv2d__direct_serial .* ms " "$tmp/out" &&
     grep -qE "^$layer .* conv2d__depthwise_opencl .* ms .* GFLOP/s .* B$" "$tmp/out" &&
     grep -qE "^$layer .* conv2d__im2col_clblast .* ms " "$tmp/out" &&
     ! grep -q "failed:" "$tmp/out"; then ok
  else fail "bench --device: $(grep -m1 failed: "$tmp/out")"; fi
  if grep -q "^opencl: compiled" "$tmp/err"; then ok; else fail "first run compiled nothing"; fi
  SP_OPENCL_LOG=1 "$bin" bench "$model" --layer $layer --device 0 --min-time 0.002 \
    >"$tmp/out" 2>"$tmp/err"
  if grep -q "^opencl: cache hit" "$tmp/err" && ! grep -q "^opencl: compiled" "$tmp/err" &&
     grep -q "^# OpenCL programs: 0 compiled" "$tmp/out"; then ok
  else fail "second run compiled again: $(grep -m1 compiled "$tmp/err")"; fi

  # a kernel that does not build: failed variants, the CPU ones still timed
  SP_OPENCL_OPTIONS=-DSP_CL_FAIL_BUILD "$bin" bench "$model" --layer $layer --device 0 \
    --min-time 0.002 >"$tmp/out" 2>"$tmp/err"; rc=$?
  if [[ $rc -eq 0 ]] && grep -qE "conv2d__depthwise_opencl .* failed: .*SP_CL_FAIL_BUILD" "$tmp/out" &&
     grep -qE "conv2d__direct_serial .* ms " "$tmp/out"; then ok
  else fail "bench with a broken kernel: exit $rc, $(grep -m1 opencl "$tmp/out")"; fi

  # the whole model with the fastest variant per layer, devices included
  # (on_pocl: lib.sh; the host path's leaks stay checked by test_bench.sh)
  if on_pocl "$bin" bench "$model" --device 0 --min-time 0.002 >"$tmp/out" 2>"$tmp/err" &&
     [[ $(tail -n1 "$tmp/out") =~ ^end-to-end:\ [0-9.]+\ ms ]] &&
     grep -q "^# host<->device transfer" "$tmp/out"; then ok
  else fail "bench --device end to end: $(tail -n1 "$tmp/out") $(head -n1 "$tmp/err")"; fi
fi
finish test_devices
