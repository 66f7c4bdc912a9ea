#!/usr/bin/env bash
# `stackplan memory`: the runtime memory estimate is within 10% of the
# measured peak resident growth on the zoo models (default and reference
# variants, 1 and 2 threads, batch 1 and 8); bad input exits 2. Memory, not
# time: deterministic enough to assert. Under sanitizers (SP_SANITIZED=1:
# shadow memory and redzones) only that the command runs is checked.
source "$(dirname "$0")/lib.sh" "$@"

check_memory() { # ARGS...: the difference line must be within +-10%
  if ! "$bin" memory "$@" >"$tmp/out" 2>"$tmp/err"; then
    fail "memory $*: exit code $? ($(head -n1 "$tmp/err"))"
    return
  fi
  local diff
  if [[ ${SP_SANITIZED:-0} == 1 ]]; then ok; return; fi
  diff=$(sed -n 's/^difference: \([-+0-9.]*\)%.*/\1/p' "$tmp/out")
  if [[ -n $diff ]] && awk -v d="$diff" 'BEGIN { exit !(d >= -10 && d <= 10) }'; then ok
  else fail "memory $*: estimate off by ${diff:-?}%: $(tr '\n' ' ' <"$tmp/out")"; fi
}
for model in vgg16 resnet18 mobilenet; do
  check_memory "$model"
  check_memory "$model" --threads 2 --batch 8
done
check_memory resnet18 --reference

expect_usage_error_of memory
expect_usage_error_of memory vgg17
expect_usage_error_of memory vgg16 --batch 0
expect_usage_error_of memory vgg16 --threads
expect_usage_error_of memory vgg16 resnet18
expect_usage_error_of memory vgg16 --frobnicate
finish test_memory
