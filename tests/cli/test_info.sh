#!/usr/bin/env bash
# `stackplan info`: exact totals of the zoo, a JSON document that parses, and
# one-line errors with exit code 2 for every kind of bad input.
# Usage: test_info.sh path/to/stackplan
source "$(dirname "$0")/lib.sh" "$@"

# Each full model runs once per output form (building one takes seconds under
# sanitizers); the checks below read the saved outputs.
for model in vgg16 resnet18 mobilenet; do
  "$bin" info "$model" >"$tmp/$model.txt" 2>"$tmp/$model.err" || fail "info $model exited non-zero"
  "$bin" info "$model" --json >"$tmp/$model.json" 2>>"$tmp/$model.err" ||
    fail "info $model --json exited non-zero"
  if [[ -s $tmp/$model.err ]]; then fail "info $model wrote to stderr"; else ok; fi
done

# expect_totals MODEL PARAMS PARAMS_M MACS MACS_M
expect_totals() {
  local out
  out=$(cat "$tmp/$1.txt")
  local want="total: $2 params ($3 M), $4 MACs ($5 M)"
  if grep -qF "$want" <<<"$out"; then ok; else fail "info $1: no line with '$want'"; fi
  if [[ $(head -n1 <<<"$out") == "$1: input 3x32x32, output 10x1x1,"* ]]; then ok
  else fail "info $1: header is '$(head -n1 <<<"$out")'"; fi
}

expect_totals vgg16 14986698 14.99 313463808 313.5
expect_totals resnet18 11173962 11.17 555422720 555.4
expect_totals mobilenet 3217226 3.22 46354432 46.4

# a few layer lines: folded ops, shapes, per-layer numbers
out=$(cat "$tmp/vgg16.txt")
if grep -qE '^conv1 +conv2d 3x3/1 \+bn\+relu +3x32x32 -> 64x32x32 +1856 +1769472 +7168 +262144$' \
  <<<"$out"; then ok; else fail "info vgg16: conv1 line"; fi
out=$(cat "$tmp/mobilenet.txt")
if grep -qE '^blocks\.1\.dw +conv2d 3x3/2 dw \+bn\+relu +64x32x32 -> 64x16x16 ' <<<"$out"; then ok
else fail "info mobilenet: blocks.1.dw line"; fi
out=$(cat "$tmp/resnet18.txt")
if grep -qE '^layer2\.0\.add +add \+relu +128x16x16 \+ 128x16x16 -> 128x16x16 ' <<<"$out"; then ok
else fail "info resnet18: layer2.0.add line"; fi

# --json: format, version, input and the exact totals; --batch scales activations
check_json() { # MODEL PYTHON-ASSERTION [extra args...]: a saved full model or a new run
  local model=$1 check=$2 json=$tmp/$1.json
  shift 2
  if [[ $# -gt 0 || ! -f $json ]]; then
    json=$tmp/run.json
    "$bin" info "$model" --json "$@" >"$json" 2>"$tmp/err" || fail "info $model --json $*: exit"
  fi
  if /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); t=d['totals']; assert $check" \
    <"$json" 2>"$tmp/err"; then
    ok
  else
    fail "info $model --json $*: $check ($(tail -n1 "$tmp/err"))"
  fi
}
check_json vgg16 "d['format']=='stackplan-info' and d['version']==1 and d['input']==[3,32,32] \
and t['params']==14986698 and t['macs']==313463808 and len(d['layers'])==21"
check_json resnet18 "t['params']==11173962 and t['macs']==555422720 \
and sum(l['macs'] for l in d['layers'])==t['macs']"
check_json mobilenet "t['params']==3217226 and t['macs']==46354432 and d['model']=='mobilenet'"
check_json "resnet18:w=0.5,c=1" "d['input']==[1,32,32] and d['layers'][0]['output']==[32,32,32]"
check_json mobilenet:w=0.25 "d['batch']==4 and t['largest_activation_bytes']==4*16*32*32*4 \
and d['layers'][-1]['activation_bytes']==4*10*4" --batch 4
check_json mobilenet:w=0.25 "d['batch']==3 and d['graph']=='mobilenet:w=0.25'" --batch=3

# --help
if "$bin" info --help >"$tmp/out" 2>"$tmp/err" && grep -q '^usage: stackplan info' "$tmp/out" &&
  [[ ! -s $tmp/err ]]; then ok; else fail "info --help"; fi

# bad input: exit code 2, exactly one line on stderr, nothing on stdout
expect_usage_error() { expect_usage_error_of info "$@"; }
expect_usage_error vgg17
expect_usage_error "vgg16:w=0"
expect_usage_error "vgg16:w=abc"
expect_usage_error "vgg16:c=2x"
expect_usage_error "vgg16:x=1"
expect_usage_error "vgg16:w=1,"
expect_usage_error vgg16 --frobnicate
expect_usage_error
expect_usage_error --json
expect_usage_error vgg16 resnet18
expect_usage_error vgg16 --batch 0
expect_usage_error vgg16 --batch x
expect_usage_error vgg16 --batch

finish test_info
