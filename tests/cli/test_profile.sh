#!/usr/bin/env bash
# `stackplan profile`: a quick profile the reader accepts; --resume after a
# run stopped early, after kill -9 and after SIGINT, finishing without
# measuring the finished layers again; bad input (a corrupt profile or one
# of another model, device or config to --resume, an unknown variant, a bad
# --threads list, a layer left with no runnable variant) exits 2 with one
# line and leaves no output file. Timings are never asserted.
source "$(dirname "$0")/lib.sh" "$@"
export SP_CACHE_DIR="$tmp/cache"
model="mobilenet:w=0.25"
fast=(--min-time 0.0001 --max-time 0.001)
py=/usr/bin/python3

# measured layers / total layers / records of a profile, or "invalid"
summary() {
  $py - "$1" <<'EOF' 2>/dev/null || echo invalid
import json, sys
p = json.load(open(sys.argv[1]))
assert p["format"] == "stackplan-profile" and p["version"] == 1
print(sum(l["measured"] for l in p["layers"]), len(p["layers"]), len(p["records"]))
EOF
}

# the record lines of the first N layers of a profile (one record a line)
records_of_first() {
  local names
  names=$($py -c 'import json,sys; print("\n".join(l["name"] for l in json.load(open(sys.argv[1]))["layers"][:int(sys.argv[2])]))' "$1" "$2")
  # (the last record of the array has no comma after it)
  while read -r n; do grep -F "{\"layer\":\"$n\",\"keep_in\"" "$1" | sed 's/,$//'; done <<<"$names"
}

# layers a run measured again (the machine slow the first time): their lines repeat
settled() { sed -n 's/^machine: .*; \([0-9]*\) layers measured again.*/\1/p' "$1"; }

# 1. a quick profile: every layer measured, the reader accepts the file
"$bin" profile "$model" --quick "${fast[@]}" --out "$tmp/p.json" >"$tmp/out" 2>"$tmp/err"; rc=$?
read -r done total records <<<"$(summary "$tmp/p.json")"
if [[ $rc -eq 0 && $done == "$total" && $total -eq 30 && $records -gt 500 ]] &&
   grep -q "^profile: $tmp/p.json: 30 of 30 layers" "$tmp/out" && [[ ! -e $tmp/p.json.tmp ]] &&
   grep -q "^sequence: layers run [0-9.]*x their time alone" "$tmp/out" &&
   grep -qE "^machine: reference network .*; [0-9]+ layers measured again" "$tmp/out"; then ok
else fail "quick profile: exit $rc, summary '$done $total $records', $(tail -n1 "$tmp/err")"; fi
if $py - "$tmp/p.json" <<'EOF'; then ok; else fail "profile contents"; fi
import json, sys
p = json.load(open(sys.argv[1]))
d, m, c = p["device"], p["model"], p["config"]
assert len(d["fingerprint"]) == 16 and d["cores"] >= 1 and d["libraries"]["openblas"] and d["build"]["compiler"]
assert m["name"] == "mobilenet:w=0.25" and len(m["fingerprint"]) == 16 and m["input"] == [3, 32, 32]
assert c["quick"] is True and c["grid"]["prune"] == [0.5, 0.9] and c["grid"]["keep"] == [0.5]
kinds = {r["compression"]["kind"] for r in p["records"]}
assert kinds == {"none", "prune", "ternary"}, kinds
for r in p["records"]:
    assert "reference" not in r["variant"] or r["layer"] == "flatten", r["variant"]
    if r["compression"]["kind"] == "none":
        assert "csr" not in r["variant"] and "ternary" not in r["variant"], r
    if "failed" not in r:
        assert r["p10_ms"] <= r["median_ms"] <= r["p90_ms"] and r["n"] >= 1
layers = {l["name"]: l for l in p["layers"]}
dw = layers["blocks.1.dw"]
assert dw["group_in"] == dw["group_out"]
for r in p["records"]:
    if r["layer"] == "blocks.1.dw":
        assert r["keep_in"] == r["keep_out"]
assert len(p["noise"]) == 30
# calibrated in sequence at each network level (keep 1, then 0.5 for every prunable group), alone
# and in the network: in `sequence` each layer's fastest dense host record in plain dense size, in
# `sequence_compressed` its fastest compressed (pruned or ternary) one no bigger, run in a network
# of such records
def check_entry(l, k, q, compressed):
    assert min(q["keep_in"], q["keep_out"]) < 1 if k else (q["keep_in"] == q["keep_out"] == 1), (l["name"], k, q)
    host = [r for r in p["records"] if r["layer"] == l["name"] and "failed" not in r
            and r["keep_in"] == q["keep_in"] and r["keep_out"] == q["keep_out"] and r["residency"] == "host"]
    plain = min(r["weight_bytes"] for r in host if r["compression"]["kind"] == "none")  # not Winograd's
    host = [r for r in host if r["weight_bytes"] <= 1.05 * plain
            and (r["compression"]["kind"] != "none") == compressed]
    best = min(r["median_ms"] for r in host)  # (written to 6 digits: ties are possible)
    assert any(r["variant"] == q["variant"] and r["threads"] == q["threads"] and r["median_ms"] == best
               and (not compressed or r["compression"] == q["compression"]) for r in host), (l["name"], q, best)
    assert q["alone_ms"] > 0 and q["in_sequence_ms"] > 0 and q["evict_bytes"] >= 0, q
for l in p["layers"]:
    seq = l["sequence"]
    if seq is None and l["kind"] == "flatten":
        continue  # a view: its time inside the network may be below the clock's resolution
    assert seq is not None and seq[0] is not None, l["name"]
    for k, q in enumerate(seq):
        if q is not None:
            assert "compression" not in q, q
            check_entry(l, k, q, False)
    for k, q in enumerate(l["sequence_compressed"] or []):
        if q is not None:
            assert q["compression"]["kind"] in ("prune", "ternary"), q
            check_entry(l, k, q, True)
assert sum(1 for l in p["layers"] if l["sequence_compressed"] and l["sequence_compressed"][0]) > 10
assert sum(1 for l in p["layers"] if l["sequence"] and len(l["sequence"]) > 1 and l["sequence"][1]) > 10
EOF
# the complete file resumes to nothing: the reader accepted it, nothing changed
cp "$tmp/p.json" "$tmp/p0.json"
"$bin" profile "$model" --quick "${fast[@]}" --out "$tmp/p.json" --resume >"$tmp/out" 2>"$tmp/err"; rc=$?
if [[ $rc -eq 0 ]] && diff <(grep '^{"layer"' "$tmp/p0.json") <(grep '^{"layer"' "$tmp/p.json") >/dev/null; then ok
else fail "resume of a complete profile: exit $rc, $(cat "$tmp/err")"; fi

# 2. stopped early (--max-layers, as if killed after 3 layers), then resumed
"$bin" profile "$model" --quick "${fast[@]}" --out "$tmp/r.json" --max-layers 3 >"$tmp/out" 2>"$tmp/err"; rc=$?
read -r done total records <<<"$(summary "$tmp/r.json")"
if [[ $rc -eq 0 && $done -eq 3 && $total -eq 30 ]] && grep -q "stopped by --max-layers" "$tmp/out" &&
   ! grep -q "^sequence:" "$tmp/out" && ! grep -q '"sequence":\[' "$tmp/r.json"; then ok
else fail "--max-layers 3: exit $rc, summary '$done $total'"; fi
records_of_first "$tmp/r.json" 3 >"$tmp/first"
"$bin" profile "$model" --quick "${fast[@]}" --out "$tmp/r.json" --resume >"$tmp/out" 2>"$tmp/err"; rc=$?
read -r done total records <<<"$(summary "$tmp/r.json")"
records_of_first "$tmp/r.json" 3 >"$tmp/again"
# the first layers' records are byte for byte the same: not measured again
if [[ $rc -eq 0 && $done -eq 30 && -s $tmp/first ]] && diff "$tmp/first" "$tmp/again" >/dev/null &&
   [[ $(grep -c "records  fastest" "$tmp/out") -eq $((27 + $(settled "$tmp/out"))) ]] &&
   grep -q "^sequence:" "$tmp/out"; then ok
else fail "resume after --max-layers: exit $rc, $done layers, $(wc -l <"$tmp/out") lines"; fi

# 3. kill -9 and SIGINT mid-run (after 2 layers are saved): a valid file every
# time, which --resume completes without re-measuring what was saved
full=(--quick "${fast[@]}")
for sig in KILL INT; do
  out="$tmp/k$sig.json"
  "$bin" profile "$model" "${full[@]}" --out "$out" >"$tmp/out" 2>"$tmp/err" &
  pid=$!
  for _ in $(seq 600); do
    [[ -s $out ]] && read -r done _ _ <<<"$(summary "$out")" && [[ $done != invalid && $done -ge 2 ]] && break
    sleep 0.05
  done
  kill -s $sig $pid 2>/dev/null
  { wait $pid; } 2>/dev/null; rc=$?
  read -r done total _ <<<"$(summary "$out")"
  want=$([[ $sig == KILL ]] && echo 137 || echo 130)
  if [[ $done != invalid && $done -ge 1 && ( $rc -eq $want || $done -eq $total ) ]]; then ok
  else fail "kill -s $sig: exit $rc (want $want), summary '$done $total'"; fi
  if [[ $sig == INT && $rc -eq 130 ]]; then
    if grep -q "interrupted: .* --resume continues" "$tmp/err"; then ok; else fail "SIGINT message"; fi
  fi
  records_of_first "$out" "$done" >"$tmp/first"
  "$bin" profile "$model" "${full[@]}" --out "$out" --resume >"$tmp/out" 2>"$tmp/err"; rc=$?
  read -r done2 total2 _ <<<"$(summary "$out")"
  records_of_first "$out" "$done" >"$tmp/again"
  if [[ $rc -eq 0 && $done2 -eq $total2 ]] && diff "$tmp/first" "$tmp/again" >/dev/null; then ok
  else fail "resume after kill -s $sig: exit $rc, summary '$done2 $total2'"; fi
done

# 4. kill -9 in the middle of a layer: every case journalled before the kill
# comes back on --resume (records with the very same times: not measured
# again); only the case being timed is lost. The journal is gone at the end.
journal_state() { # the journal's layer, cases and records in its whole lines
  $py - "$1" <<'EOF' 2>/dev/null || echo "none 0 0"
import json, sys
lines = open(sys.argv[1]).read().split("\n")[:-1]   # what follows the last newline is torn
head = json.loads(lines[0])
cases = [json.loads(l) for l in lines[1:]]
print(head["layer"], cases[-1]["cases_done"] if cases else 0, sum(len(c["records"]) for c in cases))
EOF
}
for try in 1 2 3; do
  out="$tmp/j.json"
  rm -f "$out" "$out.journal"
  "$bin" profile "$model" "${full[@]}" --out "$out" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 600); do
    [[ -f $out.journal && $(wc -l <"$out.journal") -ge 3 ]] && break
    sleep 0.02
  done
  kill -9 $pid 2>/dev/null
  { wait $pid; } 2>/dev/null
  read -r jlayer jcases jrecords <<<"$(journal_state "$out.journal")"
  [[ $jcases -ge 1 ]] && break
done
cp "$out.journal" "$tmp/journal.at_kill" 2>/dev/null
# first the journal's layer alone (--max-layers 1: the run stops before the
# settling pass, which may measure a layer again when the machine was slow)
"$bin" profile "$model" "${full[@]}" --out "$out" --resume --max-layers 1 >"$tmp/out" 2>"$tmp/err"; rc=$?
if [[ $rc -eq 0 && $jcases -ge 1 ]] &&
   grep -qF "layer $jlayer resumed after $jcases cases ($jrecords records)" "$tmp/err"; then ok
else fail "resume from the journal: exit $rc, journal '$jlayer $jcases $jrecords', $(cat "$tmp/err")"; fi
if $py - "$tmp/journal.at_kill" "$out" <<'EOF'; then ok; else fail "journalled records not in the resumed profile"; fi
import json, sys
lines = open(sys.argv[1]).read().split("\n")[:-1]
layer = json.loads(lines[0])["layer"]
key = lambda r: json.dumps(r, sort_keys=True)
kept = [key(r) for l in lines[1:] for r in json.loads(l)["records"]]
final = {key(r) for r in json.load(open(sys.argv[2]))["records"] if r["layer"] == layer}
assert kept and all(k in final for k in kept), (len(kept), len(final))
EOF
"$bin" profile "$model" "${full[@]}" --out "$out" --resume >"$tmp/out" 2>"$tmp/err"; rc=$?
read -r done total _ <<<"$(summary "$out")"
[[ $rc -eq 0 && $done -eq $total ]] && ok || fail "resume to the end: exit $rc, $done of $total layers"
[[ ! -e $out.journal ]] && ok || fail "the journal was left after the profile completed"

# a device variant that does not build is a failed record, never fatal
if "$bin" devices | grep -q "^device 0 ("; then
  SP_OPENCL_OPTIONS=-DSP_CL_FAIL_BUILD SP_CACHE_DIR="$tmp/cache-fail" "$bin" profile "$model" \
    --quick --device 0 "${fast[@]}" --max-layers 2 --out "$tmp/f.json" >"$tmp/out" 2>"$tmp/err"; rc=$?
  if [[ $rc -eq 0 ]] && $py - "$tmp/f.json" <<'EOF'; then ok; else fail "failing builds: exit $rc, $(cat "$tmp/err")"; fi
import json, sys
p = json.load(open(sys.argv[1]))
dev = [r for r in p["records"] if r["residency"] == "device:0"]
host = [r for r in p["records"] if r["residency"] == "host"]
assert dev and all("SP_CL_FAIL_BUILD" in r["failed"] for r in dev if "clblast" not in r["variant"]), dev[:2]
assert host and not any("failed" in r for r in host)
assert p["transitions"] and p["device"]["opencl"]["index"] == 0
EOF
fi

# 4. bad input: exit 2, one line on stderr, no output file left behind
expect_no_file() { # FILE
  if [[ ! -e $1 && ! -e $1.tmp ]]; then ok; else fail "$1 was written"; fi
}
printf '{"format": "stackplan-profile", "version": 1, "created"' >"$tmp/corrupt.json"
expect_usage_error_of profile "$model" --quick --out "$tmp/corrupt.json" --resume
if grep -q "corrupt.json: not valid JSON" "$tmp/err"; then ok; else fail "corrupt: $(cat "$tmp/err")"; fi
sed 's/"format": "stackplan-profile"/"format": "stackplan-plan"/' "$tmp/p0.json" >"$tmp/other.json"
expect_usage_error_of profile "$model" --quick --out "$tmp/other.json" --resume
if grep -q "other.json: format:" "$tmp/err"; then ok; else fail "wrong format: $(cat "$tmp/err")"; fi
cp "$tmp/p0.json" "$tmp/m.json"
expect_usage_error_of profile mobilenet:w=0.5 --quick --out "$tmp/m.json" --resume
if grep -q "m.json: model.fingerprint differs" "$tmp/err" && cmp -s "$tmp/m.json" "$tmp/p0.json"; then ok
else fail "another model: $(cat "$tmp/err")"; fi
sed 's/"cpu":"[^"]*"/"cpu":"Another CPU"/' "$tmp/p0.json" >"$tmp/d.json"
expect_usage_error_of profile "$model" --quick --out "$tmp/d.json" --resume
if grep -q "d.json: device.cpu differs" "$tmp/err"; then ok; else fail "another device: $(cat "$tmp/err")"; fi
cp "$tmp/p0.json" "$tmp/c.json"
expect_usage_error_of profile "$model" --quick --threads 2 --out "$tmp/c.json" --resume
if grep -q "c.json: config.threads differs" "$tmp/err"; then ok; else fail "another config: $(cat "$tmp/err")"; fi
# the first record's (one record a line, after the layers' calibrations)
sed '0,/^{"layer".*"variant":"conv2d__/{/^{"layer"/s/"variant":"conv2d__[a-z0-9_]*"/"variant":"conv2d__magic"/}' \
  "$tmp/p0.json" >"$tmp/v.json"
expect_usage_error_of profile "$model" --quick --out "$tmp/v.json" --resume
if grep -q "v.json: records\[0\].variant: 'conv2d__magic' is not a variant" "$tmp/err"; then ok
else fail "unknown variant in a file: $(cat "$tmp/err")"; fi
expect_usage_error_of profile "$model" --quick --out "$tmp/p0.json"
if grep -q "p0.json exists" "$tmp/err"; then ok; else fail "existing file: $(cat "$tmp/err")"; fi

expect_usage_error_of profile "$model" --quick --variants conv2d__magic --out "$tmp/x.json"
grep -q "unknown variant 'conv2d__magic'" "$tmp/err" && ok || fail "unknown variant: $(cat "$tmp/err")"
expect_no_file "$tmp/x.json"
expect_usage_error_of profile "$model" --quick --variants conv2d__1x1_gemm_serial --out "$tmp/x.json"
grep -q "layer conv1 (conv2d 3x3/1 +bn+relu): no runnable variant" "$tmp/err" && ok ||
  fail "no runnable variant: $(cat "$tmp/err")"
expect_no_file "$tmp/x.json"
for t in 0 1,1 x 1,,2 1,2000 1,2,3,4,5,6,7,8,9; do
  expect_usage_error_of profile "$model" --threads "$t" --out "$tmp/x.json"
done
expect_no_file "$tmp/x.json"
expect_usage_error_of profile "$model" --min-time 5 --max-time 1 --out "$tmp/x.json"
expect_usage_error_of profile "$model" --bogus
expect_usage_error_of profile "$model" --out
expect_usage_error_of profile
expect_usage_error_of profile nosuchmodel --out "$tmp/x.json"
expect_no_file "$tmp/x.json"
if "$bin" profile --help | grep -q "^usage: stackplan profile MODEL"; then ok; else fail "--help"; fi

finish test_profile
