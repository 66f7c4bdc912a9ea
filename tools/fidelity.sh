#!/usr/bin/env bash
# Fidelity of the planner's predictions (issue #9): for each model, a quick
# profile and a quick sensitivity analysis, the Pareto front over a sweep of
# memory bounds, and every plan of the front run for real (`stackplan run`):
# measured vs predicted latency and memory. Writes OUT/fidelity.md and
# OUT/fidelity.csv (default out/fidelity; OUT=docs/results/fidelity refreshes the reference).
#
#   tools/fidelity.sh [MODEL...]      default: the three zoo models at w=0.5,c=1
#   STACKPLAN=path/to/stackplan OUT=dir REPEAT=100 ROUNDS=3 SETTLE=30 tools/fidelity.sh
#
# Each plan is measured in ROUNDS rounds over the whole front (`run --repeat
# REPEAT` each); its measured latency is the median of the rounds' medians.
set -euo pipefail
bin=${STACKPLAN:-build/stackplan}
out=${OUT:-out/fidelity}
repeat=${REPEAT:-100}
rounds=${ROUNDS:-3}
settle=${SETTLE:-30}   # run --settle: wait up to this long for the profile's machine speed
py=/usr/bin/python3
[[ -x $bin ]] || { echo "fidelity.sh: no stackplan binary at $bin (set STACKPLAN)" >&2; exit 2; }
models=("$@")
[[ ${#models[@]} -gt 0 ]] || models=(vgg16:w=0.5,c=1 resnet18:w=0.5,c=1 mobilenet:w=0.5,c=1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "model,plan,max_memory_mb,predicted_ms,measured_ms,p10_ms,p90_ms,latency_error_pct,predicted_mb,measured_mb,memory_error_pct,compressed_layers,round_medians_ms,speed_ratio,at_profile_speed_ms,at_profile_speed_error_pct" >"$work/fidelity.csv"

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
    echo "$mem" >"$work/$tag.$i.mem"
  done
  # rounds over the whole front, so that a slow phase of the machine (tens of
  # seconds) falls on every plan alike rather than on a few
  for ((r = 0; r < rounds; r++)); do
    for ((i = 0; i < n; i++)); do
      "$bin" run "$work/$tag.$i.plan.json" --repeat "$repeat" --settle "$settle" >"$work/$tag.$i.run$r.txt"
    done
  done
  for ((i = 0; i < n; i++)); do
    $py - "$m" "$i" "$(cat "$work/$tag.$i.mem")" "$work/$tag.$i.plan.json" "$work/$tag.$i".run*.txt \
      >>"$work/fidelity.csv" <<'PY'
import csv, json, re, statistics, sys
model, i, mem, plan, runs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
lat, mb, speed = [], None, []
for run in runs:
    t = open(run).read()
    m = re.search(r"latency \(ms\)\s+([\d.]+)\s+([\d.]+)\s+([-+\d.]+)%\s+\(p10 ([\d.]+), p90 ([\d.]+)", t)
    lat.append([float(x) for x in m.groups()[:2] + m.groups()[3:]])
    mb = re.search(r"peak memory \(MB\)\s+([\d.]+)\s+([\d.]+)\s+([-+\d.]+)%", t)
    s = re.search(r"machine speed: reference network .*\(([\d.]+)x\); latency at the profile's speed ([\d.]+) ms", t)
    if s: speed.append((float(s.group(1)), float(s.group(2))))
pred = lat[0][0]
med = statistics.median(r[1] for r in lat)
p10 = statistics.median(r[2] for r in lat)
p90 = statistics.median(r[3] for r in lat)
rounds = " ".join(f"{r[1]:.4f}" for r in lat)
p = json.load(open(plan))
comp = sum(1 for l in p["layers"] if l["compression"]["kind"] != "none" or l["compression"]["keep_out"] < 1)
ratio = f"{statistics.median(s[0] for s in speed):.3f}" if speed else ""
at = statistics.median(s[1] for s in speed) if speed else None
csv.writer(sys.stdout, lineterminator="\n").writerow(
    [model, i, mem, f"{pred:.4f}", f"{med:.4f}", f"{p10:.4f}", f"{p90:.4f}",
     f"{100 * (med - pred) / pred:+.1f}", mb[1], mb[2], mb[3], comp, rounds, ratio,
     f"{at:.4f}" if at else "", f"{100 * (at - pred) / pred:+.1f}" if at else ""])
PY
  done
done

machine="$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), CPU family $(sed -n 's/^cpu family\s*: //p' /proc/cpuinfo | head -1), $(nproc) cores, $(date -u +%F)"
$py - "$work/fidelity.csv" "$repeat" "$machine" "$rounds" >"$work/fidelity.md" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print("# Plan fidelity: measured against predicted\n")
print(f"`tools/fidelity.sh`: per model a quick profile, `sense --quick --limit 300`, the Pareto front over "
      f"memory bounds (`query --sweep memory=...`), and every plan of the front run with `stackplan run "
      f"--repeat {sys.argv[2]}` in {sys.argv[4]} rounds over the front (median of the rounds' medians). Error = (measured − predicted) / predicted. "
      f"Machine speed run/profile: `run`'s `machine speed` ratio, the reference network's time (the model uncompressed, default variants, one thread) in the run over its median in the profile "
      f"(median over the rounds; > 1: the host's other tenants slowed the run more than the profile); the last column divides each round's measurement by it. "
      f"Machine: {sys.argv[3]}.\n")
print("| model | plans | latency error: median \\|e\\| | median e (bias) | max \\|e\\| | within 10% | memory error: max \\|e\\| | machine speed run/profile | median \\|e\\| at the profile's machine speed |")
print("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
for m in dict.fromkeys(r["model"] for r in rows):
    signed = [float(r["latency_error_pct"]) for r in rows if r["model"] == m]
    e = [abs(x) for x in signed]
    me = [abs(float(r["memory_error_pct"])) for r in rows if r["model"] == m]
    ratio = [float(r["speed_ratio"]) for r in rows if r["model"] == m and r["speed_ratio"]]
    at = [abs(float(r["at_profile_speed_error_pct"])) for r in rows if r["model"] == m and r["at_profile_speed_error_pct"]]
    print(f"| {m} | {len(e)} | {statistics.median(e):.1f}% | {statistics.median(signed):+.1f}% | {max(e):.1f}% | {sum(x <= 10 for x in e)}/{len(e)} | {max(me):.1f}% | "
          f"{statistics.median(ratio) if ratio else float('nan'):.2f} | {statistics.median(at) if at else float('nan'):.1f}% |")
print("\n| model | plan | max memory (MB) | compressed layers | predicted ms | measured ms (p10–p90) | error | memory pred/meas (MB) | round medians (ms) | machine speed run/profile |")
print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
for r in rows:
    print(f"| {r['model']} | {r['plan']} | {float(r['max_memory_mb']):.3f} | {r['compressed_layers']} | {r['predicted_ms']} | "
          f"{r['measured_ms']} ({r['p10_ms']}–{r['p90_ms']}) | {float(r['latency_error_pct']):+.1f}% | {r['predicted_mb']}/{r['measured_mb']} | {r['round_medians_ms']} | {r['speed_ratio']} |")
PY
mkdir -p "$out"
mv "$work/fidelity.csv" "$work/fidelity.md" "$out/"
echo "wrote $out/fidelity.md" >&2
