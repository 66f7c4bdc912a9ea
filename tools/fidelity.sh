#!/usr/bin/env bash
# Fidelity of the planner's predictions (issue #9): for each model, a quick
# profile and a quick sensitivity analysis, the Pareto front over a sweep of
# memory bounds, and every plan of the front run for real (`stackplan run`):
# measured vs predicted latency and memory. Writes OUT/fidelity.md and
# OUT/fidelity.csv (default results/fidelity).
#
#   tools/fidelity.sh [MODEL...]      default: the three zoo models at w=0.5,c=1
#   STACKPLAN=path/to/stackplan OUT=dir REPEAT=100 tools/fidelity.sh
set -euo pipefail
bin=${STACKPLAN:-build/stackplan}
out=${OUT:-results/fidelity}
repeat=${REPEAT:-100}
py=/usr/bin/python3
[[ -x $bin ]] || { echo "fidelity.sh: no stackplan binary at $bin (set STACKPLAN)" >&2; exit 2; }
models=("$@")
[[ ${#models[@]} -gt 0 ]] || models=(vgg16:w=0.5,c=1 resnet18:w=0.5,c=1 mobilenet:w=0.5,c=1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "model,plan,max_memory_mb,predicted_ms,measured_ms,p10_ms,p90_ms,latency_error_pct,predicted_mb,measured_mb,memory_error_pct,compressed_layers" >"$work/fidelity.csv"

for m in "${models[@]}"; do
  tag=${m//[:=,\/]/_}
  echo "== $m: profile, sense" >&2
  "$bin" profile "$m" --quick --out "$work/$tag.p.json" >/dev/null 2>&1
  "$bin" sense "$m" --data fashion-mnist --quick --limit 300 --out "$work/$tag.a.json" >/dev/null
  full=$("$bin" plan --profile "$work/$tag.p.json" --accuracy "$work/$tag.a.json" --objective memory |
    sed -n 's/.*peak memory \([0-9.]*\) MB.*/\1/p')
  dense=$("$bin" plan --profile "$work/$tag.p.json" --accuracy "$work/$tag.a.json" |
    sed -n 's/.*peak memory \([0-9.]*\) MB.*/\1/p')
  step=$($py -c "print(max((float('$dense') - float('$full')) / 12, 0.001))")
  "$bin" query --profile "$work/$tag.p.json" --accuracy "$work/$tag.a.json" \
    --sweep "memory=$full:$dense:$step" --json >"$work/$tag.front.json"
  n=$($py -c "import json; print(len(json.load(open('$work/$tag.front.json'))['points']))")
  echo "== $m: $n plans on the front" >&2
  for ((i = 0; i < n; i++)); do
    mem=$($py -c "import json; print(json.load(open('$work/$tag.front.json'))['points'][$i]['bounds']['max_memory_mb'])")
    "$bin" plan --profile "$work/$tag.p.json" --accuracy "$work/$tag.a.json" --max-memory "$mem" \
      --out "$work/$tag.$i.plan.json" >/dev/null
    "$bin" run "$work/$tag.$i.plan.json" --repeat "$repeat" >"$work/run.txt"
    $py - "$m" "$i" "$mem" "$work/run.txt" "$work/$tag.$i.plan.json" >>"$work/fidelity.csv" <<'PY'
import csv, json, re, sys
model, i, mem, run, plan = sys.argv[1:6]
t = open(run).read()
lat = re.search(r"latency \(ms\)\s+([\d.]+)\s+([\d.]+)\s+([-+\d.]+)%\s+\(p10 ([\d.]+), p90 ([\d.]+)", t)
mb = re.search(r"peak memory \(MB\)\s+([\d.]+)\s+([\d.]+)\s+([-+\d.]+)%", t)
p = json.load(open(plan))
comp = sum(1 for l in p["layers"] if l["compression"]["kind"] != "none" or l["compression"]["keep_out"] < 1)
csv.writer(sys.stdout, lineterminator="\n").writerow(
    [model, i, mem, lat[1], lat[2], lat[4], lat[5], lat[3], mb[1], mb[2], mb[3], comp])
PY
  done
done

machine="$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), CPU family $(sed -n 's/^cpu family\s*: //p' /proc/cpuinfo | head -1), $(nproc) cores, $(date -u +%F)"
$py - "$work/fidelity.csv" "$repeat" "$machine" >"$work/fidelity.md" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print("# Plan fidelity: measured against predicted\n")
print(f"`tools/fidelity.sh`: per model a quick profile, `sense --quick --limit 300`, the Pareto front over "
      f"memory bounds (`query --sweep memory=...`), and every plan of the front run with `stackplan run "
      f"--repeat {sys.argv[2]}` (median). Error = (measured − predicted) / predicted. "
      f"Machine: {sys.argv[3]}.\n")
print("| model | plans | latency error: median \\|e\\| | max \\|e\\| | within 10% | memory error: max \\|e\\| |")
print("|---|--:|--:|--:|--:|--:|")
for m in dict.fromkeys(r["model"] for r in rows):
    e = [abs(float(r["latency_error_pct"])) for r in rows if r["model"] == m]
    me = [abs(float(r["memory_error_pct"])) for r in rows if r["model"] == m]
    print(f"| {m} | {len(e)} | {statistics.median(e):.1f}% | {max(e):.1f}% | {sum(x <= 10 for x in e)}/{len(e)} | {max(me):.1f}% |")
print("\n| model | plan | max memory (MB) | compressed layers | predicted ms | measured ms (p10–p90) | error | memory pred/meas (MB) |")
print("|---|--:|--:|--:|--:|--:|--:|--:|")
for r in rows:
    print(f"| {r['model']} | {r['plan']} | {float(r['max_memory_mb']):.3f} | {r['compressed_layers']} | {r['predicted_ms']} | "
          f"{r['measured_ms']} ({r['p10_ms']}–{r['p90_ms']}) | {float(r['latency_error_pct']):+.1f}% | {r['predicted_mb']}/{r['measured_mb']} |")
PY
mkdir -p "$out"
mv "$work/fidelity.csv" "$work/fidelity.md" "$out/"
echo "wrote $out/fidelity.md" >&2
