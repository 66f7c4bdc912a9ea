# stackplan plan / query on the fixture pair of tests/data/planner: bounds
# met, ILP <= greedy, infeasible bounds (exit 4 with the nearest bounds),
# Pareto sweeps (non-dominated, CSV, JSON, PNG), plan files, bad input.
source "$(dirname "$0")/lib.sh" "$@"
data=$(cd "$(dirname "$0")/../data/planner" && pwd)
P=$data/profile.json
A=$data/accuracy.json
py=/usr/bin/python3

# plan_ok NAME ARGS...: exit 0; the totals line is in $tmp/out
plan_ok() {
  local name=$1
  shift
  if "$bin" plan --profile "$P" --accuracy "$A" "$@" >"$tmp/out" 2>"$tmp/err"; then ok; else
    fail "$name: exit $?: $(head -c 300 "$tmp/err")"
  fi
}
# field NAME: a number of the "predicted:" line (latency, memory, accuracy)
latency() { sed -n 's/^predicted: latency \([0-9.]*\) ms.*/\1/p' "$tmp/out"; }
memory() { sed -n 's/.*peak memory \([0-9.]*\) MB.*/\1/p' "$tmp/out"; }
accuracy() { sed -n 's/.*accuracy \([0-9.]*\)%$/\1/p' "$tmp/out"; }
# le A B: A <= B numerically
le() { $py -c "import sys; sys.exit(0 if float('$1') <= float('$2') + 1e-9 else 1)"; }

# ---- loose and tight bounds: the totals meet them ----
plan_ok loose
[[ $(grep -c '^conv\|^add\|^gap\|^fc' "$tmp/out") -eq 7 ]] && ok || fail "loose: not 7 layer lines"
grep -q '^solver: ilp, optimal' "$tmp/out" && ok || fail "loose: no solver line"
plan_ok tight --min-accuracy 89 --max-memory 0.02 --max-latency 0.1
le 89 "$(accuracy)" && le "$(memory)" 0.02 && le "$(latency)" 0.1 && ok || fail "tight: bounds not met: $(grep predicted "$tmp/out")"
plan_ok memory-objective --objective memory --min-accuracy 85
le 85 "$(accuracy)" && ok || fail "memory objective: accuracy $(accuracy)"

# ---- ILP never slower than greedy (nor than exhaustive's proven optimum) ----
for bounds in "--min-accuracy 85" "--min-accuracy 80 --max-memory 0.03" ""; do
  # shellcheck disable=SC2086
  plan_ok "ilp $bounds" $bounds
  ilp=$(latency)
  # shellcheck disable=SC2086
  plan_ok "greedy $bounds" $bounds --solver greedy
  greedy=$(latency)
  # shellcheck disable=SC2086
  plan_ok "exhaustive $bounds" $bounds --solver exhaustive
  exh=$(latency)
  le "$ilp" "$greedy" && ok || fail "ilp $ilp > greedy $greedy ($bounds)"
  le "$ilp" "$exh" && le "$exh" "$ilp" && ok || fail "ilp $ilp != exhaustive $exh ($bounds)"
done

# ---- infeasible: exit 4, one line with the nearest bounds ----
"$bin" plan --profile "$P" --accuracy "$A" --min-accuracy 95 >"$tmp/out" 2>"$tmp/err"
rc=$?
[[ $rc -eq 4 && $(wc -l <"$tmp/err") -eq 1 ]] && grep -q 'at most 90.00% accuracy' "$tmp/err" && ok ||
  fail "infeasible accuracy: exit $rc: $(cat "$tmp/err")"
"$bin" plan --profile "$P" --accuracy "$A" --min-accuracy 89 --max-memory 0.01 --out "$tmp/never.json" \
  >"$tmp/out" 2>"$tmp/err"
rc=$?
[[ $rc -eq 4 ]] && grep -q 'at least [0-9.]* MB for 89.00%' "$tmp/err" && [[ ! -e $tmp/never.json ]] && ok ||
  fail "infeasible memory: exit $rc: $(cat "$tmp/err")"
# the nearest memory bound it names is feasible
mb=$(sed -n 's/.*at least \([0-9.]*\) MB for 89.00%.*/\1/p' "$tmp/err")
plan_ok "nearest bound $mb" --min-accuracy 89 --max-memory "$mb"

# several conflicting bounds: still numbers, in MB = 2^20 bytes (issue #21)
"$bin" plan --profile "$P" --accuracy "$A" --min-accuracy 95 --max-memory 0.001 --max-latency 0.0001 \
  >"$tmp/out" 2>"$tmp/err"
rc=$?
[[ $rc -eq 4 && $(wc -l <"$tmp/err") -eq 1 ]] && grep -q 'at least [0-9.]* ms with no other bound' "$tmp/err" &&
  ! grep -q 'no plan meets the other bounds' "$tmp/err" && ok || fail "three bounds: exit $rc: $(cat "$tmp/err")"
# the same message from another solver (one copy of it, the planner's)
"$bin" plan --profile "$P" --accuracy "$A" --min-accuracy 95 --max-memory 0.001 --max-latency 0.0001 \
  --solver exhaustive >"$tmp/out" 2>"$tmp/err2"
cmp -s "$tmp/err" "$tmp/err2" && ok || fail "exhaustive's message differs: $(cat "$tmp/err2")"

# ---- without bounds, a negative predicted accuracy comes with a warning ----
$py -c '
import json, sys
a = json.load(open(sys.argv[1]))
for e in a["layers"] + a["groups"]:
    e["accuracy"] = 10.0
json.dump(a, open(sys.argv[2], "w"))
' "$A" "$tmp/lossy.json"
"$bin" plan --profile "$P" --accuracy "$tmp/lossy.json" >"$tmp/out" 2>"$tmp/err"
rc=$?
[[ $rc -eq 0 ]] && grep -q 'accuracy -[0-9.]*%$' "$tmp/out" &&
  grep -q '^stackplan plan: warning: the predicted accuracy -[0-9.]*% is meaningless' "$tmp/err" && ok ||
  fail "negative accuracy: exit $rc: $(grep predicted "$tmp/out") / $(cat "$tmp/err")"
"$bin" plan --profile "$P" --accuracy "$tmp/lossy.json" --min-accuracy 50 >"$tmp/out" 2>"$tmp/err"
[[ ! -s $tmp/err ]] && ok || fail "warning with a bound: $(cat "$tmp/err")"

# ---- plan file: valid JSON with every layer; reproducible ----
plan_ok out --min-accuracy 88 --out "$tmp/plan.json"
$py -c '
import json, sys
p = json.load(open(sys.argv[1]))
assert p["format"] == "stackplan-plan" and p["version"] == 1
assert len(p["layers"]) == 7 and p["objective"] == "latency"
for l in p["layers"]:
    for k in ("name", "compression", "variant", "format", "algorithm", "backend", "device", "threads",
              "params", "predicted"):
        assert k in l, k
    assert l["compression"]["kind"] in ("none", "prune", "ternary")
    assert 0 < l["compression"]["keep_out"] <= 1
assert p["bounds"]["min_accuracy"] == 88 and p["bounds"]["max_memory_bytes"] is None
assert p["predicted"]["accuracy"] >= 88
assert len(p["profile"]["hash"]) == 16 and p["model"]["structure_fingerprint"] == "0123456789abcdef"
assert p["solver"]["result"] == "optimal"
' "$tmp/plan.json" && ok || fail "plan.json does not validate"
ls "$tmp" | grep -q '\.tmp' && fail "temp file left beside plan.json" || ok

# ---- query: only non-dominated points; CSV with a header; JSON; reproducible by plan ----
if "$bin" query --profile "$P" --accuracy "$A" --sweep accuracy=0.70:0.92:0.01 --csv "$tmp/q.csv" \
  >"$tmp/q.out" 2>"$tmp/err"; then ok; else fail "query: exit $?: $(cat "$tmp/err")"; fi
head -1 "$tmp/q.csv" | grep -q '^min_accuracy,max_memory_mb,max_latency_ms,objective,latency_ms,peak_mb,accuracy' &&
  ok || fail "csv header: $(head -1 "$tmp/q.csv")"
$py -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) >= 3, len(rows)
pts = [(float(r["latency_ms"]), float(r["peak_mb"]), float(r["accuracy"])) for r in rows]
for i, a in enumerate(pts):
    for j, b in enumerate(pts):
        if i != j:
            dom = b[0] <= a[0] and b[1] <= a[1] and b[2] >= a[2] and b != a
            assert not dom, (a, b)
    assert a[2] + 1e-9 >= float(rows[i]["min_accuracy"])
' "$tmp/q.csv" && ok || fail "query: dominated point or bound missed"
# the second point, re-planned with its bounds, gives the same latency
row=$(sed -n 3p "$tmp/q.csv")
bound=$(cut -d, -f1 <<<"$row")
want=$(cut -d, -f5 <<<"$row")
plan_ok "replan $bound" --min-accuracy "$bound"
$py -c "import sys; sys.exit(0 if abs($(latency) - $want) < 1e-3 else 1)" && ok || fail "replan: $(latency) != $want"
"$bin" query --profile "$P" --accuracy "$A" --sweep memory=0.005:0.05:0.005 --min-accuracy 85 --json >"$tmp/q.json" &&
  $py -c '
import json, sys
q = json.load(open(sys.argv[1]))
assert q["format"] == "stackplan-pareto" and q["sweep"]["metric"] == "memory"
assert q["points"] and all(p["accuracy"] >= 85 for p in q["points"])
assert all(p["peak_bytes"] <= p["bounds"]["max_memory_mb"] * 1048576 * (1 + 1e-9) for p in q["points"])
' "$tmp/q.json" && ok || fail "query --json"
"$bin" query --profile "$P" --accuracy "$A" --sweep latency=0.04:0.07:0.005 >"$tmp/out" 2>"$tmp/err" &&
  grep -q 'objective accuracy' "$tmp/out" && ok || fail "latency sweep: $(cat "$tmp/err")"
if command -v gnuplot >/dev/null; then
  "$bin" query --profile "$P" --accuracy "$A" --sweep accuracy=80:90:1 --png "$tmp/q.png" >/dev/null 2>"$tmp/err" &&
    [[ $(head -c 4 "$tmp/q.png" | od -An -c | tr -d ' ') == '211PNG' ]] && ok || fail "png: $(cat "$tmp/err")"
fi

# ---- bad input: exit 2, one line ----
expect_usage_error_of plan --profile "$P" --accuracy "$data/accuracy_other_model.json"
grep -q 'ffffffffffffffff' "$tmp/err" && grep -q '0123456789abcdef' "$tmp/err" && ok ||
  fail "mismatch message: $(cat "$tmp/err")"
head -c 3000 "$P" >"$tmp/truncated.json"
sed 's/"version": 1/"version": 7/' "$A" >"$tmp/version.json"
$py -c '
import json, sys
p = json.load(open(sys.argv[1])); del p["records"][0]["median_ms"]; json.dump(p, open(sys.argv[2], "w"))
a = json.load(open(sys.argv[3])); del a["baseline"]; json.dump(a, open(sys.argv[4], "w"))
' "$P" "$tmp/nofield_p.json" "$A" "$tmp/nofield_a.json"
expect_usage_error_of plan --profile "$tmp/truncated.json" --accuracy "$A"
expect_usage_error_of plan --profile "$P" --accuracy "$tmp/version.json"
expect_usage_error_of plan --profile "$tmp/nofield_p.json" --accuracy "$A"
expect_usage_error_of plan --profile "$P" --accuracy "$tmp/nofield_a.json"
expect_usage_error_of query --profile "$tmp/truncated.json" --accuracy "$A" --sweep accuracy=0.8:0.9:0.01
for bad in "--min-accuracy 0" "--min-accuracy 100.5" "--min-accuracy nan" "--max-memory 0" "--max-memory -3" \
  "--max-latency 0" "--max-latency inf" "--objective speed" "--solver simplex" "--out"; do
  # shellcheck disable=SC2086
  expect_usage_error_of plan --profile "$P" --accuracy "$A" $bad
done
expect_usage_error_of plan --accuracy "$A"
expect_usage_error_of query --profile "$P" --accuracy "$A"
expect_usage_error_of query --profile "$P" --accuracy "$A" --sweep accuracy=0.9:0.8:0.01
expect_usage_error_of query --profile "$P" --accuracy "$A" --sweep accuracy=80:120:1
expect_usage_error_of query --profile "$P" --accuracy "$A" --sweep speed=1:2:1
expect_usage_error_of query --profile "$P" --accuracy "$A" --sweep accuracy=80:90:1 --solver dp
"$bin" plan --profile "$tmp/missing.json" --accuracy "$A" >/dev/null 2>"$tmp/err"
[[ $? -eq 3 && $(wc -l <"$tmp/err") -eq 1 ]] && ok || fail "missing file: not exit 3 with one line"
# a failing plan leaves an existing --out untouched
echo keep >"$tmp/old.json"
"$bin" plan --profile "$P" --accuracy "$A" --min-accuracy 99 --out "$tmp/old.json" >/dev/null 2>&1
[[ $(cat "$tmp/old.json") == keep ]] && ok || fail "failed plan overwrote --out"

finish test_plan
