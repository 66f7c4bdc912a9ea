#!/usr/bin/env bash
# The ILP against the NetAdapt-style greedy baseline (issue #21) on existing
# profile/accuracy pairs: planning only, no timing. For each model, bound
# sets: none; accuracy 0.5, 1 and 2 pp under the baseline; memory at 70% and
# 50% of the plan at 1 pp; both combined; minimum memory at 1 pp. Prints a
# markdown table: predicted latency, peak memory and accuracy of each plan,
# and greedy / ILP (latency; memory for the memory objective).
#
#   tools/planner_vs_greedy.sh [MODEL...]        default: vgg16 resnet18 mobilenet
#   DIR=docs/results/demo STACKPLAN=build/stackplan   where MODEL.profile.json and MODEL.accuracy.json are
set -uo pipefail
bin=${STACKPLAN:-build/stackplan}
dir=${DIR:-docs/results/demo}
py=/usr/bin/python3
[[ -x $bin ]] || { echo "planner_vs_greedy.sh: no stackplan binary at $bin (set STACKPLAN)" >&2; exit 2; }
models=("$@")
[[ ${#models[@]} -gt 0 ]] || models=(vgg16 resnet18 mobilenet)
echo "| model | bounds | ILP ms | ILP MB | ILP acc % | greedy ms | greedy MB | greedy acc % | greedy / ILP |"
echo "|---|---|--:|--:|--:|--:|--:|--:|--:|"
for m in "${models[@]}"; do
  P=$dir/$m.profile.json
  A=$dir/$m.accuracy.json
  base=$($py -c "import json,sys; print(json.load(open(sys.argv[1]))['baseline']['accuracy'])" "$A") || exit 2
  b05=$($py -c "print(round($base - 0.5, 2))")
  b1=$($py -c "print(round($base - 1, 2))")
  b2=$($py -c "print(round($base - 2, 2))")
  at=$("$bin" plan --profile "$P" --accuracy "$A" --min-accuracy "$b1" | sed -n 's/.*peak memory \([0-9.]*\) MB.*/\1/p')
  m7=$($py -c "print(round(0.7 * $at, 3))")
  m5=$($py -c "print(round(0.5 * $at, 3))")
  for bounds in "none" "--min-accuracy $b05" "--min-accuracy $b1" "--min-accuracy $b2" "--max-memory $m7" \
    "--max-memory $m5" "--min-accuracy $b1 --max-memory $m7" "--min-accuracy $b1 --max-memory $m5" \
    "--min-accuracy $b2 --max-memory $m5" "--objective memory --min-accuracy $b1"; do
    args=()
    [[ $bounds != none ]] && read -ra args <<<"$bounds"
    row="| $m | $bounds |"
    declare -A ms=() mb=()
    for s in ilp greedy; do
      out=$("$bin" plan --profile "$P" --accuracy "$A" "${args[@]}" --solver "$s" 2>&1)
      l=$(sed -n 's/^predicted: latency \([0-9.]*\) ms.*peak memory \([0-9.]*\) MB.*accuracy \(-\{0,1\}[0-9.]*\)%$/\1 \2 \3/p' <<<"$out")
      if [[ -n $l ]]; then
        read -r a b c <<<"$l"
        row="$row $a | $b | $c |"
        ms[$s]=$a mb[$s]=$b
      else
        row="$row $(grep -q 'gave up' <<<"$out" && echo 'gave up' || echo infeasible) | | |"
      fi
    done
    r="-"
    if [[ -n ${ms[ilp]:-} && -n ${ms[greedy]:-} ]]; then
      if [[ $bounds == *"objective memory"* ]]; then
        r="$($py -c "print(f'{${mb[greedy]} / ${mb[ilp]}:.3f}')") (memory)"
      else
        r=$($py -c "print(f'{${ms[greedy]} / ${ms[ilp]}:.3f}')")
      fi
    fi
    echo "$row $r |"
    unset ms mb
  done
done
