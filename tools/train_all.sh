#!/bin/bash
# Trains and exports the three shipped models one after the other.
#
# Idempotent: a model whose ONNX file and manifest entry for the final epoch
# already exist is skipped, and an interrupted model resumes from its last
# per-epoch checkpoint, so after a kill just run this again:
#
#   mkdir -p /var/tmp/stackplan-train
#   nohup setsid bash tools/train_all.sh > /var/tmp/stackplan-train/driver.log 2>&1 &
#
# Checkpoints and per-model logs: $CKPT_DIR (/var/tmp/stackplan-train).
# Shipped files: $OUT_DIR (<repo>/models: ONNX, reference tensors, manifest.json).
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3            # Debian's interpreter: the one with torch + onnx
CKPT_DIR=${CKPT_DIR:-/var/tmp/stackplan-train}
OUT_DIR=${OUT_DIR:-$ROOT/models}
THREADS=${THREADS:-2}
# Smoke tests of this driver only, e.g. EXTRA_ARGS="--limit 256" with a
# scratch CKPT_DIR and OUT_DIR.
read -r -a EXTRA <<< "${EXTRA_ARGS:-}"

# name epochs: fastest first, so finished models ship as early as possible.
# Epoch counts are part of each run's identity (the cosine schedule spans
# them): changing one restarts that model from scratch in a fresh ckpt dir.
PLAN=(
  "mobilenet 20"
  "vgg16 12"
  "resnet18 10"
)

mkdir -p "$CKPT_DIR" "$OUT_DIR"
# One driver at a time: a second launch would fight over the checkpoints.
exec 9> "$CKPT_DIR/driver.lock"
if ! flock -n 9; then
  echo "train_all.sh: another driver holds $CKPT_DIR/driver.lock" >&2
  exit 1
fi

cd "$ROOT"
failed=0
for item in "${PLAN[@]}"; do
  read -r model epochs <<< "$item"
  args=(tools/train.py --model "$model" --width 0.5 --channels 1
        --epochs "$epochs" --batch-size 128 --lr 0.05 --seed 1
        --threads "$THREADS" --ckpt-dir "$CKPT_DIR" --out-dir "$OUT_DIR" "${EXTRA[@]}")
  if "$PY" "${args[@]}" --is-done; then
    echo "$(date -Is) $model: already exported, skipped"
    continue
  fi
  echo "$(date -Is) $model: training ($epochs epochs)"
  if nice -n 19 "$PY" "${args[@]}" --resume; then
    echo "$(date -Is) $model: done"
  else
    echo "$(date -Is) $model: FAILED (exit $?)"
    failed=1
  fi
done
echo "$(date -Is) all done (failed=$failed)"
exit $failed
