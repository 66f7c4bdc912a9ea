#!/usr/bin/env bash
# `stackplan bench`: one line per layer and supported variant, the fastest
# per layer run end to end (the last line), one-layer mode; bad input exits 2.
# Checks the output's shape only: timings are never asserted.
source "$(dirname "$0")/lib.sh" "$@"
model="mobilenet:w=0.25"

if "$bin" bench "$model" --min-time 0.002 --threads 2 >"$tmp/out" 2>"$tmp/err"; then ok
else fail "bench $model exited $? ($(head -n1 "$tmp/err"))"; fi
if [[ $(tail -n1 "$tmp/out") =~ ^end-to-end:\ [0-9.]+\ ms ]]; then ok
else fail "bench: last line is '$(tail -n1 "$tmp/out")'"; fi
# every layer of the model has at least one timed line
layers=$("$bin" info "$model" --json | /usr/bin/python3 -c \
  'import json,sys; print("\n".join(l["name"] for l in json.load(sys.stdin)["layers"]))')
for layer in $layers; do
  if grep -qE "^$(sed 's/\./\\./g' <<<"$layer") .* ms .* GFLOP/s .* peak .* B$" "$tmp/out"; then ok
  else fail "bench: no timed line for layer $layer"; fi
done
if ! grep -q "failed:" "$tmp/out"; then ok; else fail "bench: a variant failed: $(grep -m1 failed: "$tmp/out")"; fi

# --sequence: every layer alone and in sequence; the `# fastest:` choice runs
"$bin" bench "$model" --min-time 0.002 --sequence >"$tmp/out" 2>"$tmp/err"
if grep -qE "^# sum of the layers: alone [0-9.]+ ms, in sequence [0-9.]+ ms$" "$tmp/out"; then ok
else fail "bench --sequence: no sum line"; fi
n_layers=$(wc -w <<<"$layers")
n_rows=$(grep -cE "^# [^ ]+ +[a-z0-9_]+__[a-z0-9_]+ +[0-9.]+ ms +[0-9.]+ ms +[0-9.]+x$" "$tmp/out")
if [[ $n_rows == "$n_layers" ]]; then ok
else fail "bench --sequence: $n_rows rows for $n_layers layers"; fi
fastest=$(sed -n 's/^# fastest: //p' "$tmp/out")
if [[ $(tr , '\n' <<<"$fastest" | wc -l) == "$n_layers" ]] &&
  "$bin" infer "$model" --variant "$fastest" --repeat 2 >/dev/null 2>"$tmp/err"; then ok
else fail "bench: the '# fastest:' choice does not run ($(head -n1 "$tmp/err"))"; fi

"$bin" bench "$model" --layer blocks.1.dw --min-time 0.002 --reference >"$tmp/out" 2>"$tmp/err"
if grep -q "conv2d__reference" "$tmp/out" && ! grep -q "^end-to-end" "$tmp/out"; then ok
else fail "bench --layer --reference"; fi

expect_usage_error_of bench
expect_usage_error_of bench vgg17
expect_usage_error_of bench "$model" --layer nosuchlayer
expect_usage_error_of bench "$model" --threads 0
expect_usage_error_of bench "$model" --min-time -1
expect_usage_error_of bench "$model" --min-time abc
expect_usage_error_of bench "$model" extra
expect_usage_error_of bench "$model" --bogus
finish test_bench
