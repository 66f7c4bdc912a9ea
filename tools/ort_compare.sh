#!/usr/bin/env bash
# stackplan against ONNX Runtime on this machine (issue #4's end-to-end
# target), dense zoo models at batch 1. A benchmark, not a test.
#
# 1. exports the zoo architectures (default w=1, c=3; PyTorch's default
#    initialisation, BN in eval mode) to ONNX with tools/ort/export_zoo.py
#    (Debian's python3-torch and python3-onnx);
# 2. `stackplan bench FILE.onnx --threads T` picks the fastest variant of
#    each layer (its `# fastest:` line);
# 3. for ROUNDS rounds, alternately times ONNX Runtime (onnxruntime-node, CPU
#    provider, all graph optimisations, T intra-op threads) and
#    `stackplan infer FILE.onnx --variant <fastest> --threads T` on the same
#    file: the machine's speed drifts, so only medians of interleaved rounds
#    and their ratio are compared.
# onnxruntime-node comes from the npm registry into ORT_DIR (default
# ~/.cache/stackplan/ort), with --ignore-scripts: its install script only
# fetches GPU binaries; the CPU library ships in the package.
#
#   tools/ort_compare.sh [MODEL...]          default: vgg16 resnet18 mobilenet
#   WIDTH=1 CHANNELS=3 THREADS="1 2" ROUNDS=5 OUT=docs/results/ort tools/ort_compare.sh
set -euo pipefail
bin=${STACKPLAN:-build/stackplan}
out=${OUT:-out/ort}
width=${WIDTH:-1}
channels=${CHANNELS:-3}
threads_list=${THREADS:-1 2}
rounds=${ROUNDS:-5}
ort_dir=${ORT_DIR:-$HOME/.cache/stackplan/ort}
here=$(cd "$(dirname "$0")" && pwd)
[[ -x $bin ]] || { echo "ort_compare.sh: no stackplan binary at $bin (set STACKPLAN)" >&2; exit 2; }
models=("$@")
[[ ${#models[@]} -gt 0 ]] || models=(vgg16 resnet18 mobilenet)

if [[ ! -d $ort_dir/node_modules/onnxruntime-node ]]; then
  echo "== installing onnxruntime-node into $ort_dir" >&2
  mkdir -p "$ort_dir"
  (cd "$ort_dir" && npm install --silent --no-audit --no-fund --ignore-scripts onnxruntime-node >&2)
fi
export NODE_PATH=$ort_dir/node_modules

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 "$here/ort/export_zoo.py" "$work" --width "$width" --channels "$channels" \
  --models "$(IFS=,; echo "${models[*]}")" >/dev/null

median() { sort -g | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
csv=$work/ort.csv
echo "model,threads,round,stackplan_ms,ort_ms" >"$csv"
for m in "${models[@]}"; do
  for t in $threads_list; do
    echo "== $m, $t thread(s): bench" >&2
    fastest=$("$bin" bench "$work/$m.onnx" --threads "$t" | sed -n 's/^# fastest: //p')
    for ((r = 1; r <= rounds; r++)); do
      o=$(node "$here/ort/ort_time.js" "$work/$m.onnx" "$channels" "$t" 1 | sed -n 's/^ort: \([0-9.]*\) ms.*/\1/p')
      s=$("$bin" infer "$work/$m.onnx" --threads "$t" --repeat 500 --variant "$fastest" |
        sed -n 's/^latency: median \([0-9.]*\) ms.*/\1/p')
      echo "$m,$t,$r,$s,$o" >>"$csv"
      echo "   round $r: stackplan $s ms, onnxruntime $o ms" >&2
    done
  done
done

mkdir -p "$out"
{
  echo "# stackplan against ONNX Runtime"
  echo
  echo "\`tools/ort_compare.sh\` on $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), CPU family $(sed -n 's/^cpu family\s*: //p' /proc/cpuinfo | head -1)" \
       "($(nproc) cores), $(date -u +%F); ONNX Runtime $(node -p 'require("onnxruntime-node/package.json").version')" \
       "(onnxruntime-node, CPU provider). Models: the zoo at w=$width, c=$channels, batch 1," \
       "exported to ONNX; stackplan runs the same file with the fastest variant of each layer" \
       "(\`bench\`), and the two are timed alternately, $rounds rounds each (ONNX Runtime: median of" \
       "≥ 1 s of runs; stackplan: median of 500 runs). Table: median over the rounds."
  echo
  echo "| model | threads | stackplan ms | ONNX Runtime ms | stackplan / ORT |"
  echo "|---|--:|--:|--:|--:|"
  for m in "${models[@]}"; do
    for t in $threads_list; do
      s=$(awk -F, -v m="$m" -v t="$t" '$1==m && $2==t {print $4}' "$csv" | median)
      o=$(awk -F, -v m="$m" -v t="$t" '$1==m && $2==t {print $5}' "$csv" | median)
      echo "| $m | $t | $s | $o | $(awk -v s="$s" -v o="$o" 'BEGIN{printf "%.2f", s/o}') |"
    done
  done
} >"$work/ort.md"
cp "$work/ort.csv" "$work/ort.md" "$out/"
cat "$out/ort.md"
