#!/usr/bin/env bash
# The ILP planner on real profiles (issue #8's speed target): for each shipped
# trained model, a full profile (no --quick; kept in PROFILE_DIR and resumed
# when interrupted), then `stackplan plan` under several bound sets with the
# ILP and with greedy: solve time, whole-command time, predicted latency and
# memory. Writes OUT/planner_speed.{md,csv} (default out/planner; OUT=docs/results/planner refreshes the reference).
#
#   tools/planner_speed.sh [MODEL...]     default: vgg16 resnet18 mobilenet (models/*.onnx)
#   PROFILE_DIR=/var/tmp/stackplan-profiles QUICK=1 tools/planner_speed.sh
set -euo pipefail
bin=${STACKPLAN:-build/stackplan}
out=${OUT:-out/planner}
pdir=${PROFILE_DIR:-/var/tmp/stackplan-profiles}
quick=${QUICK:+--quick}
py=/usr/bin/python3
[[ -x $bin ]] || { echo "planner_speed.sh: no stackplan binary at $bin (set STACKPLAN)" >&2; exit 2; }
models=("$@")
[[ ${#models[@]} -gt 0 ]] || models=(vgg16 resnet18 mobilenet)
mkdir -p "$pdir" "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
csv=$work/planner_speed.csv
echo "model,records,bounds,solver,status,solve_s,command_s,latency_ms,peak_mb,accuracy" >"$csv"

for m in "${models[@]}"; do
  profile=$pdir/$m${quick:+.quick}.profile.json
  acc=docs/accuracy/trained/$m.accuracy.json
  resume=()
  [[ -s $profile ]] && resume=(--resume)
  echo "== $m: profile ($profile)" >&2
  start=$(date +%s)
  "$bin" profile "models/$m.onnx" $quick --out "$profile" "${resume[@]}" | tail -n1 >&2
  echo "   $(( $(date +%s) - start )) s" >&2
  records=$($py -c "import json,sys; print(len(json.load(open(sys.argv[1]))['records']))" "$profile")
  base=$($py -c "import json,sys; print(json.load(open(sys.argv[1]))['baseline']['accuracy'])" "$acc")
  b1=$($py -c "print(round($base - 1, 2))")
  b2=$($py -c "print(round($base - 2, 2))")
  # memory bounds below what the accuracy-bounded plan uses: 70% and 50% of it
  at_acc=$("$bin" plan --profile "$profile" --accuracy "$acc" --min-accuracy "$b1" | sed -n 's/.*peak memory \([0-9.]*\) MB.*/\1/p')
  half=$($py -c "print(round(0.7 * $at_acc, 3))")
  tight=$($py -c "print(round(0.5 * $at_acc, 3))")
  bound_sets=("none" "--min-accuracy $b1" "--min-accuracy $b2"
    "--min-accuracy $b1 --max-memory $half" "--min-accuracy $b1 --max-memory $tight" "--min-accuracy $b2 --max-memory $tight"
    "--objective memory --min-accuracy $b1")
  for bounds in "${bound_sets[@]}"; do
    args=()
    [[ $bounds != none ]] && read -ra args <<<"$bounds"
    for solver in ilp greedy; do
      t0=$(date +%s.%N)
      rc=0
      "$bin" plan --profile "$profile" --accuracy "$acc" "${args[@]}" --solver "$solver" >"$work/plan.txt" 2>&1 || rc=$?
      t1=$(date +%s.%N)
      $py - "$m" "$records" "$bounds" "$solver" "$rc" "$t0" "$t1" "$work/plan.txt" >>"$csv" <<'PY'
import csv, re, sys
m, records, bounds, solver, rc, t0, t1, path = sys.argv[1:9]
t = open(path).read()
pred = re.search(r"predicted: latency ([\d.]+) ms.*?peak memory ([\d.]+) MB.*?accuracy (-?[\d.]+)%", t)
sol = re.search(r"solver: \S+, (.*?) in ([\d.]+) s", t)
status = ("gave up" if "gave up" in t else "infeasible") if rc != "0" else (sol[1] if sol else "?")
csv.writer(sys.stdout, lineterminator="\n").writerow(
    [m, records, bounds, solver, status, sol[2] if sol else "", f"{float(t1) - float(t0):.3f}",
     pred[1] if pred else "", pred[2] if pred else "", pred[3] if pred else ""])
PY
    done
  done
done

$py - "$csv" >"$work/planner_speed.md" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print("# The ILP planner on real profiles\n")
print("`tools/planner_speed.sh`: full profiles of the shipped trained models (models/*.onnx) and their "
      "accuracy files (docs/accuracy/trained), `stackplan plan` with the ILP (GLPK) and with greedy under "
      "each bound set; solve = the solver's own time, command = the whole `stackplan plan` run (reading "
      "both files included). Greedy's latency is compared with the ILP's.\n")
print("| model | records | bounds | ILP solve s | ILP command s | ILP ms | greedy ms | greedy / ILP |")
print("|---|--:|---|--:|--:|--:|--:|--:|")
by = {}
for r in rows:
    by.setdefault((r["model"], r["bounds"]), {})[r["solver"]] = r
for (m, b), d in by.items():
    i, g = d.get("ilp"), d.get("greedy")
    ratio = ""
    if i and g and i["latency_ms"] and g["latency_ms"]:
        ratio = f"{float(g['latency_ms']) / float(i['latency_ms']):.3f}"
    elif g and not g["latency_ms"]:
        ratio = "—"
    print(f"| {m} | {i['records']} | `{b}` | {i['solve_s'] or i['status']} | {i['command_s']} | "
          f"{i['latency_ms'] or i['status']} | {g['latency_ms'] or g['status']} | {ratio} |")
PY
cp "$csv" "$work/planner_speed.md" "$out/"
cat "$out/planner_speed.md"
