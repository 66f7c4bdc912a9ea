#!/usr/bin/env bash
# --compress and --variant on infer and bench: a compressed model with forced
# sparse/ternary variants matches the reference kernels; every bad rate,
# unprunable group, unknown layer/variant and unusable format exits 2 with
# one line naming the layer and the option.
source "$(dirname "$0")/lib.sh" "$@"
m="vgg16:w=0.25"

if "$bin" infer "$m" --compress "keep:conv3=0.5,prune:conv5=0.8,ternary:fc1" \
  --variant "conv5=conv2d__csr_direct_serial,fc1=fc__ternary_serial" --check --layers \
  >"$tmp/out" 2>"$tmp/err" && grep -q "conv5 .*conv2d__csr_direct_serial" "$tmp/out" &&
  grep -q "fc1 .*fc__ternary_serial" "$tmp/out" && grep -q "^check: .*(ok)" "$tmp/out"; then ok
else fail "infer with compression and forced variants: $(tail -n2 "$tmp/out" "$tmp/err")"; fi

# a channel-pruned layer really is smaller: conv3 keeps 16 of its 32 channels
if "$bin" infer "$m" --compress "keep:conv3=0.5" --repeat 1 >/dev/null 2>&1; then ok
else fail "infer with keep:conv3=0.5"; fi

if "$bin" bench "$m" --compress "prune:conv5=0.9" --layer conv5 --min-time 0.002 >"$tmp/out" 2>&1 &&
  grep -q "conv2d__csr_direct_serial" "$tmp/out"; then ok
else fail "bench --compress"; fi

expect_error() { expect_usage_error_of "$@"; grep -q "$EXPECT" "$tmp/err" && ok ||
  fail "$*: message '$(cat "$tmp/err")' lacks '$EXPECT'"; }
EXPECT="conv3" expect_error infer "$m" --compress "keep:conv3=1.5"
EXPECT="conv3" expect_error infer "$m" --compress "keep:conv3=0"
EXPECT="conv5" expect_error infer "$m" --compress "prune:conv5=1"
EXPECT="conv5" expect_error infer "$m" --compress "prune:conv5=-0.1"
EXPECT="conv5" expect_error infer "$m" --compress "ternary:conv5=0"
EXPECT="fc2" expect_error infer "$m" --compress "keep:fc2=0.5"
EXPECT="layer1.0.add" expect_error infer "resnet18:w=0.25" --compress "keep:layer1.0.conv2=0.5"
EXPECT="nosuch" expect_error infer "$m" --compress "prune:nosuch=0.5"
EXPECT="pool1" expect_error infer "$m" --compress "prune:pool1=0.5"
EXPECT="conv5" expect_error infer "$m" --compress "prune:conv5=0.5,ternary:conv5"
EXPECT="frobnicate" expect_error infer "$m" --compress "frobnicate:conv5=0.5"
EXPECT="ternary" expect_error infer "$m" --variant "conv5=conv2d__ternary_serial"
EXPECT="conv2d__1x1_gemm_serial" expect_error infer "$m" --variant "conv5=conv2d__1x1_gemm_serial"
EXPECT="fc__gemv_serial" expect_error infer "$m" --variant "conv5=fc__gemv_serial"
EXPECT="nosuch" expect_error infer "$m" --variant "conv5=nosuch"
EXPECT="nolayer" expect_error infer "$m" --variant "nolayer=conv2d__direct_serial"
EXPECT="twice" expect_error infer "$m" --variant "conv5=conv2d__direct_serial,conv5=conv2d__direct_omp"
EXPECT="LAYER=VARIANT" expect_error infer "$m" --variant "conv5"
EXPECT="conv3" expect_error bench "$m" --compress "keep:conv3=2"
finish test_compress_cli
