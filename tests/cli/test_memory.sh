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

# the memory guard: what does not fit in the available memory (here a
# limit, SP_MEMORY_LIMIT) is refused before it is allocated, exit 1, one
# line with the estimate; what fits runs
refused() { # WHAT-IN-MESSAGE COMMAND...
  local what=$1
  shift
  SP_MEMORY_LIMIT=${limit} timeout 60 "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  if [[ $rc -eq 1 && $(wc -l <"$tmp/err") -eq 1 && ! -s $tmp/out ]] &&
     grep -q "$what: about [0-9]* MiB needed, more than the [0-9]* MiB available (SP_MEMORY_LIMIT)" "$tmp/err"; then ok
  else fail "guard $*: exit $rc, $(cat "$tmp/err")"; fi
}
limit=20M refused "model vgg16 (its weights)" info vgg16
limit=20M refused "model vgg16:w=4,c=64 (its weights)" info vgg16:w=4,c=64
limit=100M refused "the activations of vgg16:w=0.25 at batch 4096" infer vgg16:w=0.25 --batch 4096 --repeat 1
limit=100M refused "the activations of vgg16:w=0.25 at batch 4096" memory vgg16:w=0.25 --batch 4096
if SP_MEMORY_LIMIT=100M "$bin" infer vgg16:w=0.25 --batch 4 --repeat 1 >"$tmp/out" 2>"$tmp/err"; then ok
else fail "guard: a batch that fits was refused: $(cat "$tmp/err")"; fi
finish test_memory
