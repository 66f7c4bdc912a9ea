#!/usr/bin/env bash
# tools/paper_report.sh [OUTDIR] -- the paper replication report (issue #9, item 5).
#
# On this machine, measures the analogues of Turner et al. (IISWC 2018,
# /work/shared/PAPER.md): Table IV/VI (runtime memory per model x technique),
# Figure 4 (latency vs threads per technique) and Figure 5 (latency per
# technique at a fixed accuracy) for the three zoo models at w=0.5, c=1, and
# writes OUTDIR/report.md (default out/paper/; docs/results/paper/ holds the reference run) with PNG plots, the CSVs,
# the plan files, every command (commands.sh) and every command's raw output.
# Memory and latency do not depend on weight values, so the zoo specs stand in
# for the trained models/<m>.onnx (identical structure).
#
# Environment:
#   STACKPLAN  the binary (default build/stackplan under the repository root;
#              a relative path is taken from the current directory)
#   REPEAT     timed runs per latency series (default 20)
#   PASSES     series per configuration, the lower median is reported (default 2)
#   BUDGET     seconds from the start after which passes 2.. stop (default 400;
#              pass 1 always completes), to keep the run near 8 minutes
#   THREADS    thread counts of Figures 4 and 5 (default "1 2")
#
# Needs bash, /usr/bin/python3 (JSON/CSV handling only), gnuplot, and
# optionally /usr/bin/time (process peak RSS column). Everything is written
# to a temporary folder beside OUTDIR and moved into place at the end: a
# failed or interrupted run leaves OUTDIR as it was.
set -euo pipefail

me=paper_report.sh
exec 3>&2 # the script's stderr, also for traps that run inside a redirected command
die() { printf '%s: %s\n' "$me" "$*" >&3; exit 1; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
abspath() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s/%s\n' "$PWD" "$1" ;; esac; }

if [ -n "${STACKPLAN:-}" ]; then SP=$(abspath "$STACKPLAN"); else SP=$ROOT/build/stackplan; fi
if [ $# -ge 1 ]; then OUT=$(abspath "${1%/}"); else OUT=$ROOT/out/paper; fi
[ $# -le 1 ] || die "usage: tools/paper_report.sh [OUTDIR] (env STACKPLAN, REPEAT, THREADS)"
REPEAT=${REPEAT:-20}
PASSES=${PASSES:-2}
BUDGET=${BUDGET:-400}
THREADS=${THREADS:-1 2}

[ -x "$SP" ] && [ -f "$SP" ] || die "stackplan binary '$SP' is missing or not executable: build it (cmake --build build) or set STACKPLAN=/path/to/stackplan"
PY=/usr/bin/python3
[ -x "$PY" ] || die "$PY is missing: it is needed for the JSON/CSV handling"
command -v gnuplot >/dev/null 2>&1 || die "gnuplot is missing: it draws the PNG plots (apt-get install gnuplot-nox)"
[[ $REPEAT =~ ^[1-9][0-9]*$ ]] || die "REPEAT must be a positive integer, got '$REPEAT'"
[[ $PASSES =~ ^[1-9][0-9]*$ ]] || die "PASSES must be a positive integer, got '$PASSES'"
[[ $BUDGET =~ ^[0-9]+$ ]] || die "BUDGET must be a number of seconds, got '$BUDGET'"
for t in $THREADS; do [[ $t =~ ^[1-9][0-9]*$ ]] || die "THREADS must list positive integers, got '$THREADS'"; done
TIME=
[ -x /usr/bin/time ] && TIME=/usr/bin/time

T0=$(date +%s)
LOAD0=$(cut -d" " -f1-3 /proc/loadavg)
mkdir -p "$(dirname "$OUT")"
STAGE=$(mktemp -d "$(dirname "$OUT")/.$(basename "$OUT").tmp.XXXXXX")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/paper_report.XXXXXX")
cleanup() { rm -rf "$STAGE" "$WORK"; }
trap cleanup EXIT
trap 'die "interrupted; $OUT left as it was"' INT TERM
mkdir -p "$STAGE/raw" "$STAGE/plans"
R=$STAGE/raw   # raw outputs of every command
P=$STAGE/plans # plan files for `stackplan run`
H=$WORK/helper.py

# ---------------------------------------------------------------- helper.py
cat > "$H" <<'PYEOF'
"""JSON/CSV handling for tools/paper_report.sh (generated, not a module)."""
import csv, glob, json, math, os, re, sys
from statistics import NormalDist

MODELS = ["vgg16", "resnet18", "mobilenet"]
PAPER_NAME = {"vgg16": "VGG-16", "resnet18": "ResNet-18", "mobilenet": "MobileNet"}
# PAPER.md Table III (accuracy elbow) and Table V (accuracy fixed at 90 %):
# weight pruning sparsity, channel pruning rate, TTQ sparsity.
PAPER = {
    "elbow": {"vgg16": (0.7654, 0.8848, 0.6952), "resnet18": (0.8892, 0.6024, 0.8793),
              "mobilenet": (0.2346, 0.8033, 0.9213)},
    "fixed": {"vgg16": (0.85, 0.94, 0.70), "resnet18": (0.91, 0.94, 0.80),
              "mobilenet": (0.42, 0.96, 0.20)},
}
PAPER_BASE = {"vgg16": 92.20, "resnet18": 94.32, "mobilenet": 90.47}
# PAPER.md Table IV (elbow) and Table VI (90 %): runtime memory, MB.
PAPER_MEM = {
    "elbow": {"vgg16": (111.4, 144.4, 17.9, 130.3), "resnet18": (89.0, 99.4, 31.6, 100.8),
              "mobilenet": (69.1, 188.5, 10.8, 201.1)},
    "fixed": {"vgg16": (309.9, 112.2, 74.9, 114.1), "resnet18": (233.8, 66.1, 13.1, 66.9),
              "mobilenet": (66.3, 40.9, 2.7, 63.3)},
}
TECH_LABEL = {"plain": "plain (dense, default kernels)", "direct": "plain (dense, direct conv)",
              "csr": "weight pruning, CSR (csr_direct)", "csrim2col": "weight pruning, CSR (csr_im2col)",
              "keep": "channel pruning (dense)", "ternary": "ternary (2-bit bitplanes)"}
SHORT = {"plain": "plain", "direct": "plain-direct", "csr": "CSR", "csrim2col": "CSR-im2col",
         "keep": "channel", "ternary": "ternary"}
MIB = 1048576.0


def t_for_sparsity(s):
    """TWN threshold factor t giving sparsity s on Gaussian weights: |w| < t*E|w|."""
    return NormalDist().inv_cdf((1 + s) / 2) / math.sqrt(2 / math.pi)


def sparsity_for_t(t):
    return 2 * NormalDist().cdf(t * math.sqrt(2 / math.pi)) - 1


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def write_csv(path, rows, fields):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in fields})


# ------------------------------------------------------------------ rates
def curve_choice(root, model):
    """The fixed-accuracy rates from a measured whole-model curve of `model`
    (docs/accuracy/*_curves.csv) when one is meaningful: trained weights
    (baseline >= 20 %, twice chance) and a nonzero rate within 1 pp. Returns
    ({technique: (rate, text)}, [notes])."""
    found, notes = {}, []
    for path in sorted(glob.glob(os.path.join(root, "docs/accuracy/*_curves.csv"))):
        rows = read_csv(path)
        if not rows or rows[0]["model"].split("_")[0] != model:
            continue
        rel = os.path.relpath(path, root)
        base = [r for r in rows if r["curve"] == "prune" and float(r["rate"]) == 0]
        if not base:
            continue
        b = float(base[0]["accuracy"])
        if b < 20:
            notes.append(f"`{rel}`: random weights, baseline {b:.2f} % (chance) and flat: not meaningful")
            continue
        ok = lambda r: float(r["accuracy"]) >= b - 1.0
        pr = [r for r in rows if r["curve"] == "prune" and float(r["rate"]) > 0]
        kp = [r for r in rows if r["curve"] == "keep" and float(r["rate"]) < 1]
        tn = [r for r in rows if r["curve"] == "ternary"]
        for tech, cand, best in (("csr", pr, lambda c: max(c, key=lambda r: float(r["rate"]))),
                                 ("keep", kp, lambda c: min(c, key=lambda r: float(r["rate"]))),
                                 ("ternary", tn, lambda c: max(c, key=lambda r: float(r["sparsity"])))):
            good = [r for r in cand if ok(r)]
            if good:
                r = best(good)
                found[tech] = (float(r["rate"]), f"`{rel}` (trained weights, no fine-tuning): "
                               f"{r['accuracy']} % vs baseline {b:.2f} %")
            else:
                mild = (min if tech == "csr" else max if tech == "keep" else min)(
                    cand, key=lambda r: float(r["rate"]))
                notes.append(f"`{rel}` (trained, baseline {b:.2f} %): no {SHORT[tech]} rate within 1 pp; "
                             f"the mildest, {mild['curve']} {mild['rate']}, gives {float(mild['accuracy']):.2f} %")
    return found, notes


def cmd_rates(root, out):
    rows = []
    for m in MODELS:
        for st in ("elbow", "fixed"):
            ps, pc, pt = PAPER[st][m]
            table = "Table III (accuracy elbow)" if st == "elbow" else "Table V (90 % accuracy)"
            paper = {
                "csr": (ps, f"PAPER.md {table}: sparsity {ps:.2%}"),
                "keep": (1 - pc, f"PAPER.md {table}: channel pruning rate {pc:.2%} read as the fraction "
                         f"of prunable channels removed, keep k = 1 - rate"),
                "ternary": (t_for_sparsity(pt), f"PAPER.md {table}: TTQ sparsity {pt:.2%}, matched by the "
                            f"TWN factor t giving that sparsity on the zoo's Gaussian weights"),
            }
            found, notes = curve_choice(root, m) if st == "fixed" else ({}, [])
            for tech in ("csr", "keep", "ternary"):
                if tech in found:
                    rate, src = found[tech]
                    kind = "curve"
                else:
                    rate, src = paper[tech]
                    kind = "paper"
                rows.append({"model": m, "set": st, "technique": tech, "rate": f"{rate:.4f}",
                             "source": kind, "text": src, "notes": " | ".join(notes)})
    write_csv(out, rows, ["model", "set", "technique", "rate", "source", "text", "notes"])


def cmd_rate(rates_csv, model, st, tech):
    for r in read_csv(rates_csv):
        if r["model"] == model and r["set"] == st and r["technique"] == tech:
            print(r["rate"])
            return
    sys.exit(f"no rate for {model} {st} {tech}")


def cmd_tcheck(root):
    """Largest |predicted - measured| ternary sparsity over the zoo curves."""
    worst = 0.0
    for m in MODELS:
        p = os.path.join(root, f"docs/accuracy/{m}_curves.csv")
        if os.path.exists(p):
            for r in read_csv(p):
                if r["curve"] == "ternary":
                    worst = max(worst, abs(sparsity_for_t(float(r["rate"])) - float(r["sparsity"])))
    print(f"{worst:.4f}")


# ------------------------------------------------------------------ specs
def cmd_spec(ident_json, info_json, tech, rate, threads):
    """Two lines: the --compress spec and the --variant spec (either may be empty)."""
    ident = json.load(open(ident_json))
    layers = {l["name"]: l for l in json.load(open(info_json))["layers"]}
    ops = {n: l["op"] for n, l in layers.items()}
    suf = "omp" if int(threads) > 1 else "serial"
    comp, var = [], []
    for l in ident["layers"]:
        is_fc = ops[l].startswith("fc")
        dw = " dw" in ops[l]
        if tech in ("csr", "csrim2col"):
            comp.append(f"prune:{l}={rate}")
            if is_fc:
                var.append(f"{l}=fc__csr_{suf}")
            elif tech == "csrim2col" and not dw:
                var.append(f"{l}=conv2d__csr_im2col_{suf}")
            else:
                var.append(f"{l}=conv2d__csr_direct_{suf}")
        elif tech == "ternary":
            comp.append(f"ternary:{l}={rate}")
            # bitplane kernels where they apply; depthwise walks the codes
            pointwise = ops[l].startswith("conv2d 1x1/1 ") and \
                layers[l]["inputs"][0][1:] == layers[l]["output"][1:]
            kernel = ("fc__ternary_blocked" if is_fc else "conv2d__ternary" if dw else
                      "conv2d__ternary_1x1" if pointwise else "conv2d__ternary_im2col")
            var.append(f"{l}={kernel}_{suf}")
        elif tech == "direct" and not is_fc:
            var.append(f"{l}=conv2d__direct_{suf}")
    if tech == "keep":
        comp = [f"keep:{g['group']}={rate}" for g in ident["groups"]]
    print(",".join(comp))
    print(",".join(var))


def keep_count(c, k):
    r = math.floor(k * c + 0.5)
    n = 4 * ((r + 2) // 4)
    return min(max(n, 4), c)


def cmd_plan(model, ident_json, layers_txt, compress, out):
    """A plan file (docs/formats.md, stackplan-plan v1) that makes `stackplan run`
    execute the model with the compression and the variants `infer --layers`
    printed: run measures the executor's resident weights, activation buffers
    and workspace (results/plan_measure.c); `memory` takes no --compress."""
    ident = json.load(open(ident_json))
    chans = {g["group"]: g["channels"] for g in ident["groups"]}
    items = [i for i in compress.split(",") if i]
    keeps, comp = {}, {}
    for it in items:
        kind, rest = it.split(":", 1)
        name, val = rest.rsplit("=", 1)
        if kind == "keep":
            keeps[name] = float(val)
        else:
            comp[name] = (kind, float(val))
    # every prunable group (the reader wants at least one), keep 1 unless asked
    groups = [{"name": g, "keep": keeps.get(g, 1.0), "channels": c,
               "channels_kept": keep_count(c, keeps.get(g, 1.0))} for g, c in chans.items()]
    layers = []
    for line in open(layers_txt):
        m = re.match(r"^  (\S+)\s+(\S+)\s+(\S+)\s*$", line)
        if not m:
            continue
        name, op, variant = m.groups()
        kind, rate = comp.get(name, ("none", 0.0))
        fmt = "csr" if "csr" in variant else "ternary" if "ternary" in variant else "dense"
        layers.append({"name": name, "op": op,
                       "compression": {"kind": kind, "rate": rate, "keep_in": 1, "keep_out": 1},
                       "variant": variant, "format": fmt, "algorithm": variant.split("__")[1],
                       "backend": "openmp" if variant.endswith("_omp") else "serial", "device": "host",
                       "threads": 1, "params": {},
                       "predicted": {"latency_ms": 0, "weight_bytes": 0, "workspace_bytes": 0, "act_bytes": 0}})
    if not layers:
        sys.exit(f"{layers_txt}: no layer lines")
    plan = {"format": "stackplan-plan", "version": 1, "created": "1970-01-01T00:00:00Z",
            "model": {"name": model, "structure_fingerprint": ident["structure_fingerprint"],
                      "weights_fingerprint": ident["weights_fingerprint"]},
            "device": {"fingerprint": "0000000000000000"},
            "profile": {"path": "none (tools/paper_report.sh)", "hash": "0000000000000000",
                        "device_fingerprint": "0000000000000000"},
            "accuracy": {"path": "none (tools/paper_report.sh)", "hash": "0000000000000000"},
            "objective": "latency",
            "bounds": {"min_accuracy": None, "max_memory_bytes": None, "max_latency_ms": None},
            "solver": {"name": "none", "result": "feasible", "solve_s": 0, "gap": 0,
                       "options_used": 0, "options_total": 0},
            "predicted": {"latency_ms": 0, "transition_ms": 0, "peak_bytes": 0, "accuracy": 0, "batch": 1},
            "groups": groups, "layers": layers}
    with open(out, "w") as f:
        json.dump(plan, f, indent=1)
        f.write("\n")


# --------------------------------------------------------------- parsing
def cmd_lat(out_txt):
    """median p10 p90 n of an `infer` output."""
    for line in open(out_txt):
        m = re.match(r"latency: median ([\d.]+) ms per run \(p10 ([\d.]+), p90 ([\d.]+), n=(\d+)\)", line)
        if m:
            print(*m.groups())
            return
    sys.exit(f"{out_txt}: no 'latency: median' line")


def cmd_mem(out_txt):
    """peak weights activations workspace (MiB) of a `run` output: the executor's bookkeeping line
    (since issue #21 the `peak memory` line is the measured RSS growth)."""
    for line in open(out_txt):
        m = re.match(r"\s*bookkeeping \(MB\)\s+\S+\s+([\d.]+)\s+\S+\s+\(executor's bookkeeping: weights ([\d.]+)"
                     r" \+ activations ([\d.]+) \+ workspace ([\d.]+)", line)
        if m:
            print(*m.groups())
            return
    sys.exit(f"{out_txt}: no 'peak memory' line")


def cmd_memest(out_txt):
    """estimate and measured (MiB) of a `memory` output."""
    est = meas = None
    for line in open(out_txt):
        m = re.match(r"estimate: ([\d.]+) MiB", line)
        if m:
            est = m.group(1)
        m = re.match(r"measured: ([\d.]+) MiB", line)
        if m:
            meas = m.group(1)
    if est is None or meas is None:
        sys.exit(f"{out_txt}: no estimate/measured lines")
    print(est, meas)


# ------------------------------------------------------------- plot data
def series(lat, fig, m, tech, t):
    return [float(r["median_ms"]) for r in lat if r["figure"] == fig and r["model"] == m and
            r["technique"] == tech and int(r["threads"]) == t]


def suspect(lat, fig, m, tech, t, t1):
    """A multi-threaded series slower than 1.5 times (and 1 ms over) the single-threaded
    one of the same configuration: a scheduling artefact of a loaded machine."""
    if t == t1:
        return False
    a, b = best_median(lat, fig, m, tech, t), best_median(lat, fig, m, tech, t1)
    return a > 1.5 * b and a - b > 1.0


def cmd_order(configs_txt, lat_csv):
    """Config indices for the next pass: suspect series first, then the rest reversed."""
    lat = read_csv(lat_csv)
    cfg = [l.split() for l in open(configs_txt) if l.strip()]
    t1 = min(int(c[4]) for c in cfg)
    first, rest = [], []
    for i in reversed(range(len(cfg))):
        fig, m, tech, _, t = cfg[i]
        (first if suspect(lat, fig, m, tech, int(t), t1) else rest).append(i)
    print(" ".join(map(str, first + rest)))


def best_p10(lat, fig, m, tech, t):
    """p10 of the series whose median is quoted."""
    rows = [r for r in lat if r["figure"] == fig and r["model"] == m and r["technique"] == tech and
            int(r["threads"]) == t]
    return float(min(rows, key=lambda r: float(r["median_ms"]))["p10_ms"])


def best_median(lat, fig, m, tech, t):
    """The lower of the passes' medians of one configuration."""
    v = series(lat, fig, m, tech, t)
    if not v:
        sys.exit(f"no latency for {fig} {m} {tech} T={t}")
    return min(v)


def cmd_dat(stage, threads):
    lat = read_csv(os.path.join(stage, "latency.csv"))
    mem = read_csv(os.path.join(stage, "memory.csv"))
    threads = [int(t) for t in threads.split()]
    get = lambda fig, m, tech, t: best_median(lat, fig, m, tech, t)
    f4 = ["plain", "direct", "csr", "csrim2col", "keep", "ternary"]
    with open(os.path.join(stage, "fig4.dat"), "w") as f:
        for m in MODELS:
            f.write(f"# {m}: threads " + " ".join(SHORT[t] for t in f4) + "\n")
            for t in threads:
                f.write(f"{t} " + " ".join(f"{get('fig4', m, tech, t):.4f}" for tech in f4) + "\n")
            f.write("\n\n")
    f5 = ["plain", "csr", "keep", "ternary"]
    with open(os.path.join(stage, "fig5.dat"), "w") as f:
        f.write("# model " + " ".join(f"{SHORT[x]}_T{t}" for t in threads for x in f5) + "\n")
        for m in MODELS:
            f.write(PAPER_NAME[m] + " " + " ".join(f"{get('fig5', m, x, t):.4f}" for t in threads for x in f5) + "\n")
    memt = ["plain", "csr", "keep", "ternary"]
    with open(os.path.join(stage, "memory.dat"), "w") as f:
        for st in ("elbow", "fixed"):
            f.write(f"# {st}: model " + " ".join(memt) + "\n")
            for m in MODELS:
                vals = [next(float(r["peak_mib"]) for r in mem if r["set"] == st and r["model"] == m
                             and r["technique"] == x) for x in memt]
                f.write(PAPER_NAME[m] + " " + " ".join(f"{v:.4f}" for v in vals) + "\n")
            f.write("\n\n")


# ---------------------------------------------------------------- report
def fmt_ms(x):
    return f"{x:.3g}" if x < 10 else f"{x:.1f}"


def cmd_report(stage, meta_json, out_md):
    meta = json.load(open(meta_json))
    lat = read_csv(os.path.join(stage, "latency.csv"))
    mem = read_csv(os.path.join(stage, "memory.csv"))
    rates = read_csv(os.path.join(stage, "rates.csv"))
    threads = [int(t) for t in meta["threads"].split()]
    T1, TN = threads[0], threads[-1]
    med = lambda fig, m, tech, t: best_median(lat, fig, m, tech, t)
    M = lambda st, m, tech: next(r for r in mem if r["set"] == st and r["model"] == m and r["technique"] == tech)
    rate = lambda m, st, tech: next(r for r in rates if r["model"] == m and r["set"] == st and r["technique"] == tech)
    o = []
    w = o.append
    w("# Paper replication report: Turner et al., IISWC 2018, on this machine\n")
    w(f"Generated by `tools/paper_report.sh` on {meta['date']} in {meta['wall_s']} s of wall time.\n")
    w("| | |\n|---|---|")
    w(f"| machine | {meta['cpu']}, {meta['cores']} cores ({meta['nproc']} online CPUs), {meta['mem']} memory |")
    w(f"| load | load average at start {meta['load_start']}, at end {meta['load_end']} (the machine is shared "
      f"with training jobs: medians, not minima; see \"Noise and load\" below) |")
    w(f"| binary | `{meta['binary']}` (repository at {meta['git']}) |")
    w(f"| models | `vgg16:w=0.5,c=1`, `resnet18:w=0.5,c=1`, `mobilenet:w=0.5,c=1` (zoo specs, seeded random "
      f"weights: same structure as the trained `models/<m>.onnx`; memory and latency do not depend on the "
      f"weight values, except the depthwise ternary kernel, which skips all-zero code bytes, so its time "
      f"depends on the sparsity t gives) |")
    w(f"| latency | `stackplan infer MODEL ... --threads T --repeat {meta['repeat']}`: median of {meta['repeat']} "
      f"runs after 2 warm-up runs, batch 1; {meta['passes']} such series per configuration, the even ones in "
      f"reverse order, and the **lower of the series' medians** is quoted (every series, with p10 and p90, is "
      f"in `latency.csv`) |")
    w("| memory | `stackplan run PLAN --model MODEL --force --repeat 1 --no-reference` on a plan file holding the compression "
      "and the kernel variant of every node (see below), 1 thread, batch 1 |\n")

    w("Everything here is measured on this machine with the commands listed at the end; the paper's figures "
      "are quoted only for comparison. No timing below is a claim about another machine, and each is a "
      "median of one series of runs on a shared machine: read ratios, not digits.\n")

    # ---- techniques
    w("## Techniques and rates\n")
    ident = {m: json.load(open(os.path.join(stage, "raw", f"{m}_identify.out"))) for m in MODELS}
    w("Every conv/fc layer takes the same weight compression; channel pruning keeps the same fraction of "
      "every prunable channel group, as `stackplan sense MODEL --identify` lists them: "
      + ", ".join(f"{PAPER_NAME[m]} {len(ident[m]['groups'])} groups over {len(ident[m]['layers'])} conv/fc "
                  f"layers" for m in MODELS)
      + ". In ResNet-18 these are the groups inside the residual blocks (`layerN.M.conv1`), as in the paper; "
      "the outputs that feed a residual join, the classifier output and the network input cannot be pruned "
      "(`--compress keep:` refuses them with a one-line message).\n")
    w("| technique | compression | kernels forced (T = 1 / T > 1) |\n|---|---|---|")
    w("| plain | none | registry defaults (packed GEMM, im2col GEMM, Winograd, depthwise; `_omp` forms for T > 1) |")
    w("| plain, direct conv (Figure 4 only) | none | `conv2d__direct_serial` / `_omp` on every conv: the "
      "paper's kind of dense kernel (plain loops), against which its CSR was compared |")
    w("| weight pruning, CSR | `prune:L=s` on every conv/fc | `conv2d__csr_direct_serial`/`_omp`, "
      "`fc__csr_serial`/`_omp` |")
    w("| weight pruning, CSR x im2col (Figure 4 only) | same | `conv2d__csr_im2col_serial`/`_omp` (depthwise "
      "layers keep `csr_direct`, which im2col does not support), `fc__csr_*` |")
    w("| channel pruning | `keep:G=k` on every prunable group | registry defaults (the layers stay dense, "
      "only smaller) |")
    w("| ternary | `ternary:L=t` on every conv/fc | 2 bits a weight as +1/-1 bitplanes: "
      "`conv2d__ternary_1x1_*` (pointwise), `conv2d__ternary_im2col_*` (other ungrouped convs), "
      "`fc__ternary_blocked_*`; depthwise layers walk the packed codes (`conv2d__ternary_*`) |\n")
    w("Rates. The paper's are after fine-tuning, for trained CIFAR-10 models; here the **Table IV analogue "
      "and Figure 4 use the paper's accuracy-elbow rates (Table III)** and the **Table VI analogue and "
      "Figure 5 use the fixed-accuracy rates** chosen as below. Channel pruning rate r is read as the "
      "fraction of channels removed (keep k = 1 - r, rounded by `sp_channel_keep_count` to a multiple of 4, "
      "at least 4). The paper's ternary column is TTQ, whose sparsity follows from its threshold; "
      "`stackplan` has TWN (`delta = t * mean|w|`), so t is chosen to give the paper's *sparsity* on the "
      "zoo's He-initialised (Gaussian) weights: s = 2 Phi(t sqrt(2/pi)) - 1, which matches the sparsities "
      f"measured in `docs/accuracy/*_curves.csv` to within {meta['tcheck']} (absolute).\n")
    w("| model | set | weight pruning s | channel keep k | ternary t | source |\n|---|---|---|---|---|---|")
    for m in MODELS:
        for st in ("elbow", "fixed"):
            rs = {x: rate(m, st, x) for x in ("csr", "keep", "ternary")}
            src = "; ".join(f"{SHORT[x]}: {rs[x]['text']}" for x in rs)
            w(f"| {PAPER_NAME[m]} | {st} | {float(rs['csr']['rate']):.4f} | {float(rs['keep']['rate']):.4f} | "
              f"{float(rs['ternary']['rate']):.3f} | {src} |")
    w("")
    w("How the fixed-accuracy rates were chosen (\"within ~1 pp of the baseline\"): the script looks in "
      "`docs/accuracy/*_curves.csv` for a whole-model curve of each model measured on **trained** weights "
      "(a baseline of at least 20 %, twice chance) and takes, per technique, the strongest rate whose "
      "accuracy stays within 1 point of that baseline; where there is none it takes the paper's Table V "
      "rate (accuracy fixed at 90 %, which is " + ", ".join(f"{PAPER_BASE[m] - 90:.2f}" for m in MODELS)
      + " points below the paper's VGG-16, ResNet-18 and MobileNet baselines). What it found:\n")
    seen = set()
    for r in rates:
        for n in (r["notes"].split(" | ") if r["notes"] else []):
            if n not in seen:
                seen.add(n)
                w(f"- {n}")
    w(f"- every rate of the table above therefore comes from: " + ", ".join(
        sorted({('measured curve' if r['source'] == 'curve' else 'PAPER.md') for r in rates if r['set'] == 'fixed'}))
      + " (the `source` column says which, per rate).")
    w("- The curves are measured *without* fine-tuning (`stackplan sense` does not retrain), the paper's "
      "rates *with* it; `docs/accuracy.md` shows that on the trained MobileNet checkpoint pruning every "
      "layer to s = 0.3 already costs 17 points. So the fixed-accuracy rates here stand for what a "
      "fine-tuned model would allow, and only memory and latency are measured at them.\n")

    # ---- memory
    w("## Table IV / VI analogue: runtime memory\n")
    w("`peak` = resident weights in the format each node's kernel runs from (CSR arrays, 2-bit codes, "
      "packed GEMM panels, Winograd-transformed filters) + the executor's activation buffers + its largest "
      "workspace, as `stackplan run` measures them on the built executor (`results/plan_measure.c`), in MiB. "
      "`weights` is the first term alone. `RSS` is the whole process's peak resident set "
      "(`/usr/bin/time -f %M`): it includes the binary, the C library and OpenMP runtime, and the dense "
      "float weights held while the model is loaded and compressed, before the kernels convert them, so "
      "it hides the format differences behind a constant and the loading phase (`run --no-reference`: "
      "without the dense reference network `run` otherwise times first, docs/cli.md).\n")
    w("Why not `stackplan memory`: it takes no `--compress` or `--variant` (its `--help`: `MODEL [--threads T] "
      "[--batch N] [--reference]`), so the script writes, per model and technique, a plan file "
      "(`plans/*.json`, format `stackplan-plan` v1) with the compression and every node's variant as "
      "`stackplan infer --layers` printed them, and runs it with `--force` (the plan's device and profile "
      "fields are placeholders). For the uncompressed model the cross-check is `stackplan memory`: its "
      "estimate and VmHWM measurement are in the last table of this section.\n")
    techs = ["plain", "csr", "keep", "ternary"]
    for st, title in (("elbow", "Table IV analogue: accuracy-elbow rates (paper Table III)"),
                      ("fixed", "Table VI analogue: fixed-accuracy rates")):
        w(f"### {title}\n")
        w("| model | " + " | ".join(f"{TECH_LABEL[t]}: peak (weights) MiB" for t in techs) +
          " | paper MB: plain / pruning / channel / ternary |")
        w("|---|" + "---|" * len(techs) + "---|")
        for m in MODELS:
            cells = []
            for t in techs:
                r = M(st, m, t)
                cells.append(f"{float(r['peak_mib']):.2f} ({float(r['weights_mib']):.2f})")
            pm = " / ".join(f"{v}" for v in PAPER_MEM[st][m])
            w(f"| {PAPER_NAME[m]} | " + " | ".join(cells) + f" | {pm} |")
        w("")
        w("| model | " + " | ".join(f"{SHORT[t]}: peak / plain" for t in techs[1:]) + " | " +
          " | ".join(f"{SHORT[t]}: weights / plain" for t in techs[1:]) + " | paper: pruning / channel / ternary over plain |")
        w("|---|" + "---|" * (2 * len(techs) - 2) + "---|")
        for m in MODELS:
            p = M(st, m, "plain")
            a = [f"{float(M(st, m, t)['peak_mib']) / float(p['peak_mib']):.2f}" for t in techs[1:]]
            b = [f"{float(M(st, m, t)['weights_mib']) / float(p['weights_mib']):.2f}" for t in techs[1:]]
            pm = PAPER_MEM[st][m]
            c = " / ".join(f"{v / pm[0]:.2f}" for v in pm[1:])
            w(f"| {PAPER_NAME[m]} | " + " | ".join(a + b) + f" | {c} |")
        w("")
        w("| model | " + " | ".join(f"{SHORT[t]} RSS MiB" for t in techs) + " |")
        w("|---|" + "---|" * len(techs))
        for m in MODELS:
            w(f"| {PAPER_NAME[m]} | " + " | ".join(
                (f"{float(M(st, m, t)['rss_kib']) / 1024:.1f}" if M(st, m, t)["rss_kib"] else "-") for t in techs) + " |")
        w("")
    w("Cross-check of the uncompressed models with `stackplan memory MODEL` (default variants, 1 thread): "
      "its estimate is max(running, loading), where loading holds a layer's dense and converted copies side "
      "by side, and its measurement is the growth of VmHWM:\n")
    w("| model | `run` peak MiB | `memory` estimate MiB | `memory` measured MiB |\n|---|---|---|---|")
    for m in MODELS:
        p = M("elbow", m, "plain")
        w(f"| {PAPER_NAME[m]} | {float(p['peak_mib']):.2f} | {p['memory_estimate_mib']} | {p['memory_measured_mib']} |")
    w("")
    w("![runtime memory](memory.png)\n")

    # ---- Figure 4
    bad = lambda fig, m, tech, t: suspect(lat, fig, m, tech, t, T1)
    dag = lambda fig, m, tech, t: (f" † (p10 {fmt_ms(best_p10(lat, fig, m, tech, t))})"
                                   if bad(fig, m, tech, t) else "")
    nser = {}
    for r in lat:
        k = (r["figure"], r["model"], r["technique"], int(r["threads"]))
        nser[k] = nser.get(k, 0) + 1
    w(f"## Figure 4 analogue: latency vs threads (accuracy-elbow rates)\n")
    f4 = ["plain", "direct", "csr", "csrim2col", "keep", "ternary"]
    w("Median ms per image, batch 1; in brackets the ratio to the plain model (default kernels) at the same "
      "thread count (< 1: faster than plain). † marks a multi-threaded median more than 1.5 times the "
      "single-threaded one (and over 1 ms more): on this shared 2-core machine that is the signature of "
      "another process holding one of the cores, so that every OpenMP barrier (one per layer) waits for a "
      "descheduled thread. A † median says little about the technique; the p10 after it is what the fastest "
      "tenth of its runs took (near the free-machine figure when some runs found both cores free, which "
      "long runs rarely do). The findings below treat a † median as an interval, not as a value.\n")
    w("| model | technique | " + " | ".join(f"T = {t}" for t in threads) + f" | speed-up T={T1} -> T={TN} |")
    w("|---|---|" + "---|" * len(threads) + "---|")
    for m in MODELS:
        for tech in f4:
            cells = []
            for t in threads:
                v, p = med("fig4", m, tech, t), med("fig4", m, "plain", t)
                cells.append((f"{fmt_ms(v)} ({v / p:.2f}x)" if tech != "plain" else f"{fmt_ms(v)}")
                             + dag("fig4", m, tech, t))
            sp = med("fig4", m, tech, T1) / med("fig4", m, tech, TN)
            w(f"| {PAPER_NAME[m]} | {TECH_LABEL[tech]} | " + " | ".join(cells) + f" | {sp:.2f}x |")
    w("")
    w("![Figure 4 analogue](fig4.png)\n")

    # ---- Figure 5
    w("## Figure 5 analogue: latency at a fixed accuracy\n")
    f5 = ["plain", "csr", "keep", "ternary"]
    w("Median ms per image, batch 1, at the fixed-accuracy rates above (ratio to plain in brackets; † as "
      "above).\n")
    w("| model | " + " | ".join(f"{SHORT[x]} T={t}" for t in threads for x in f5) + " |")
    w("|---|" + "---|" * (len(f5) * len(threads)))
    for m in MODELS:
        cells = []
        for t in threads:
            p = med("fig5", m, "plain", t)
            for x in f5:
                v = med("fig5", m, x, t)
                cells.append((fmt_ms(v) if x == "plain" else f"{fmt_ms(v)} ({v / p:.2f}x)") + dag("fig5", m, x, t))
        w(f"| {PAPER_NAME[m]} | " + " | ".join(cells) + " |")
    w("")
    w("![Figure 5 analogue](fig5.png)\n")
    keys = sorted(nser)
    spread = []
    for k in keys:
        v = series(lat, *k)
        if len(v) > 1:
            spread.append((max(v) / min(v) - 1, k))
    nb = sum(1 for k in keys if bad(*k))
    nmt = sum(1 for k in keys if k[3] != T1)
    w(f"Noise and load. {len(keys)} configurations; {sum(nser.values())} series of {meta['repeat']} runs "
      f"({len(spread)} configurations measured twice or more before the {meta['budget']} s budget ran out). "
      f"Load average {meta['load_start']} at the start, {meta['load_end']} at the end, on {meta['nproc']} CPUs. "
      f"{nb} of the {nmt} multi-threaded configurations are † even in their best series.")
    if spread:
        spread.sort()
        mid = spread[len(spread) // 2][0]
        worst = spread[-1]
        big = sum(1 for x, _ in spread if x > 0.25)
        w(f" Between the series of one configuration the medians differ by a median of {100 * mid:.0f} %; "
          f"{big} of {len(spread)} differ by more than 25 %, the most by a factor of {1 + worst[0]:.1f} "
          f"({worst[1][0]}, {PAPER_NAME[worst[1][1]]}, {SHORT[worst[1][2]]}, T={worst[1][3]}).")
    oc = sorted(float(r["others_cores"]) for r in lat if r.get("others_cores", "") != "")
    if oc:
        w(f" During the series the machine's other processes used a median of {oc[len(oc) // 2]:.2f} of the "
          f"{meta['nproc']} CPUs (range {oc[0]:.2f}-{oc[-1]:.2f}; column `others_cores` of `latency.csv`, from "
          f"`/proc/stat` minus this script's own child CPU time)."
          + (" Autogroup scheduling is on (`/proc/sys/kernel/sched_autogroup_enabled` = 1): a process started "
             "in another session (e.g. with `setsid`) gets an equal share of the CPU whatever its nice value, "
             "so `nice -n 19` jobs compete with these measurements as equals." if meta.get("autogroup") == "1"
             else ""))
    w("\n")

    # ---- findings
    w("## Where this machine agrees or disagrees with the paper\n")
    w("Each point compares the medians above (the lower of each configuration's series, on a shared "
      "machine); \"faster\" means a lower median, with the ratio given.\n")
    for line in findings(med, M, threads, bad):
        w(f"- {line}")
    w("")
    w("Not replicated here: accuracy (random weights; the paper's rates are after fine-tuning), OpenCL and "
      "CLBlast (finding 5: this machine has no GPU for `--device`), the Odroid/i7 hardware, and 4-8 "
      "threads (2 cores).\n")

    # ---- files and commands
    w("## Files\n")
    w("`report.md` (this file); `fig4.png`, `fig5.png`, `memory.png` with their gnuplot scripts (`*.gp`) and "
      "data (`*.dat`); `latency.csv` (every latency: figure, model, technique, rate, threads, median, p10, "
      "p90, runs, command id), `memory.csv`, `rates.csv`; `plans/*.json` (the plan files `run` executed); "
      "`raw/<id>.out` (every command's standard output, named by the id in the CSVs); `commands.sh` (every "
      "command below, runnable from the repository root: `bash " + meta["out_rel"] + "/commands.sh` "
      "re-measures into `$R`).\n")
    w("## Commands\n")
    w("Exactly as run, in order. `$SP` is the binary, `$P` the `plans/` folder, `$R` the `raw/` folder; the "
      "`C_*` (compress) and `V_*` (variant) variables are defined before first use. Every latency is the "
      "`latency: median` line of an `infer` command, every memory figure the `peak memory` line of a `run` "
      "command, each in `raw/<id>.out` where `<id>` is the redirect target below.\n")
    w("<details><summary>commands.sh</summary>\n")
    w("```sh")
    w(open(os.path.join(stage, "commands.sh")).read().rstrip("\n"))
    w("```\n</details>\n")
    with open(out_md, "w") as f:
        f.write("\n".join(o) + "\n")


TOL = 1.10  # a latency comparison counts when one side is more than 10 % slower


def findings(med, M, threads, bad):
    T1, TN = threads[0], threads[-1]
    out = []
    name = PAPER_NAME
    four = ("plain", "csr", "keep", "ternary")
    sets = ("elbow", "fixed")
    peak = lambda st, m, x: float(M(st, m, x)["peak_mib"])
    wts = lambda st, m, x: float(M(st, m, x)["weights_mib"])
    figname = {"fig4": "Fig. 4", "fig5": "Fig. 5"}

    def iv(fig, m, x, t):
        """What the uncontended median can be: the median itself, or for a † series
        between the single-threaded median / (t / T1) (perfect scaling) and the † median."""
        v = med(fig, m, x, t)
        return (med(fig, m, x, T1) * T1 / t, v) if bad(fig, m, x, t) else (v, v)

    def ratio(fig, m, a, b, t):
        (alo, ahi), (blo, bhi) = iv(fig, m, a, t), iv(fig, m, b, t)
        return alo / bhi, ahi / blo

    def rtxt(r):
        lo, hi = r
        return f"{lo:.2f}x" if abs(hi - lo) < 0.005 else f"{lo:.2f}-{hi:.2f}x †"

    def rng(vals):
        if not vals:
            return "n/a"
        lo, hi = min(vals), max(vals)
        return f"{lo:.2f}x" if abs(hi - lo) < 0.005 else f"{lo:.2f}-{hi:.2f}x"

    def verdict(yes, no, undecided):
        if not yes and not no:
            return "not measurable here"
        v = "agrees" if not no else "disagrees" if not yes else "partly"
        return v + ("" if not undecided else f" ({undecided} case{'s' if undecided > 1 else ''} undecided)")

    out.append(f"How the comparisons are decided: a † value enters as an interval (the uncontended median lies "
               f"between the † median and the T={T1} median divided by the thread ratio, i.e. perfect scaling), "
               f"and a comparison counts only when one side is more than {TOL:.2f}x the other, beyond both "
               f"intervals: the series of one configuration differ by a median of about 10-20 % on this machine. "
               f"Everything else is \"undecided\" (a tie within the noise, or a † interval that overlaps).")

    # 1. channel pruning: fastest, smallest
    cases = [(fig, m, t) for fig in ("fig4", "fig5") for m in MODELS for t in threads]
    yes, no, und = [], [], []
    for fig, m, t in cases:
        k = iv(fig, m, "keep", t)
        others = [(x, iv(fig, m, x, t)) for x in four if x != "keep"]
        if all(k[1] * TOL < o[0] for _, o in others):
            yes.append((fig, m, t))
        elif any(o[1] * TOL < k[0] for _, o in others):
            no.append((fig, m, t, min(others, key=lambda e: e[1][1])[0]))
        else:
            und.append((fig, m, t))
    sp4 = [med("fig4", m, "plain", t) / med("fig4", m, "keep", t) for m in MODELS for t in threads
           if not bad("fig4", m, "plain", t) and not bad("fig4", m, "keep", t)]
    sp5 = [med("fig5", m, "plain", t) / med("fig5", m, "keep", t) for m in MODELS for t in threads
           if not bad("fig5", m, "plain", t) and not bad("fig5", m, "keep", t)]
    line = (f"**Channel pruning is the fastest technique: {verdict(yes, no, len(und))}** (finding 1): the lowest "
            f"median of the four techniques in {len(yes)} of {len(cases)} cases (model x threads x figure)")
    if no:
        line += "; not in " + ", ".join(f"{figname[f]} {name[m]} T={t} ({SHORT[x]} is faster)" for f, m, t, x in no)
    if und:
        line += "; undecided: " + ", ".join(f"{figname[f]} {name[m]} T={t}" for f, m, t in und)
    out.append(line + f". Speed-up over plain (cells without †): {rng(sp4)} at the elbow rates, {rng(sp5)} at "
               f"the fixed-accuracy rates (which keep only 4-12 % of each prunable group's channels).")
    mcases = [(st, m) for st in sets for m in MODELS]
    notsmall = [(st, m, min(four, key=lambda x: peak(st, m, x))) for st, m in mcases]
    notsmall = [c for c in notsmall if c[2] != "keep"]
    memk = [peak(st, m, "plain") / peak(st, m, "keep") for st, m in mcases]
    paperk = [PAPER_MEM[st][m][0] / PAPER_MEM[st][m][2] for st, m in mcases]
    out.append(
        ("**Channel pruning saves the most runtime memory: agrees**" if not notsmall else
         f"**Channel pruning saves the most runtime memory: agrees in {len(mcases) - len(notsmall)} of "
         f"{len(mcases)} cases**") + f" — plain/channel peak memory {rng(memk)} (paper, Tables IV/VI: "
        f"{rng(paperk)})" + ("" if not notsmall else "; the exceptions: " + ", ".join(
            f"{name[m]} at the {st} rates, where {SHORT[x]} takes {peak(st, m, x):.2f} MiB against channel "
            f"pruning's {peak(st, m, 'keep'):.2f} (only the groups inside the residual blocks can be pruned)"
            if m == "resnet18" else
            f"{name[m]} at the {st} rates, where {SHORT[x]} takes {peak(st, m, x):.2f} MiB against channel "
            f"pruning's {peak(st, m, 'keep'):.2f}" for st, m, x in notsmall)) + ".")

    # 2. sparse and ternary speed
    def slower(pairs):
        """pairs: (label, ratio interval) -> yes (slower), no (faster), undecided"""
        y = [p for p in pairs if p[1][0] > TOL]
        n = [p for p in pairs if p[1][1] < 1 / TOL]
        return y, n, len(pairs) - len(y) - len(n)

    vr = [(m, t) for m in ("vgg16", "resnet18") for t in threads]
    csr = [(f"{name[m]} T={t}", ratio("fig4", m, "csr", "plain", t)) for m, t in vr]
    im = [(f"{name[m]} T={t}", ratio("fig4", m, "csrim2col", "plain", t)) for m, t in vr]
    dr = [(f"{name[m]} T={t}", ratio("fig4", m, "csr", "direct", t)) for m, t in vr]
    y, n, u = slower(csr + im)
    out.append(
        f"**Sparse (CSR) 3x3 convolution slower than dense on VGG-16 and ResNet-18: {verdict(y, n, u)}** "
        f"(finding 2), against this engine's default dense kernels, at the elbow sparsities (76.5 %, 88.9 %): "
        f"CSR-direct / plain " + ", ".join(f"{l} {rtxt(r)}" for l, r in csr)
        + "; CSR x im2col / plain " + ", ".join(f"{l} {rtxt(r)}" for l, r in im)
        + ". Against the same algorithm in dense form (direct loops, the paper's kind of dense kernel), "
          "CSR-direct / dense direct is " + ", ".join(f"{l} {rtxt(r)}" for l, r in dr)
        + (": the sparse kernel is *faster* than the dense one of its kind, so the loss comes from the dense "
           "kernels' GEMM blocking and vectorisation, not from sparsity itself."
           if all(r[1] < 1 for _, r in dr) else "."))
    mob = [(t, ratio("fig4", "mobilenet", "csr", "plain", t), ratio("fig4", "mobilenet", "csrim2col", "plain", t))
           for t in threads]
    y, n, u = slower([(t, a) for t, a, _ in mob] + [(t, b) for t, _, b in mob])
    out.append(
        f"**MobileNet's sparse version beating dense as threads grow** (paper: it did with more threads): "
        f"**{'disagrees' if not n and y else 'agrees' if n else 'not measurable here'}** at these thread counts "
        f"— CSR-direct / plain " + ", ".join(f"T={t} {rtxt(a)}" for t, a, _ in mob)
        + "; CSR x im2col / plain " + ", ".join(f"T={t} {rtxt(b)}" for t, _, b in mob)
        + " (its elbow sparsity is only 23.5 %).")
    tr = [(f"{figname[f]} {name[m]} T={t}", ratio(f, m, "ternary", "plain", t))
          for f in ("fig4", "fig5") for m in MODELS for t in threads]
    y, n, u = slower(tr)
    clean_tr = [r[0] for _, r in tr if r[1] - r[0] < 1e-9]
    out.append(
        f"**Ternary not faster than dense: {verdict(y, n, u)}** (finding 2) — slower in {len(y)} of "
        f"{len(tr)} cases, faster in {len(n)}; ternary / plain {rng(clean_tr)} where neither is †"
        + ("" if not n else "; faster in " + ", ".join(f"{l} ({rtxt(r)})" for l, r in n))
        + ". Its kernels add each input value under +1/-1 bitmasks into 16 output channels at once "
        "(no multiplies, no branch on the codes), but without the dense GEMM's register and cache blocking; "
        "depthwise layers walk the codes.")

    # memory: CSR and ternary
    csr_w = {(st, m): wts(st, m, "csr") / wts(st, m, "plain") for st, m in mcases}
    vr_mem = [csr_w[("elbow", m)] for m in ("vgg16", "resnet18")]
    out.append(
        "**CSR costs memory on VGG-16 and ResNet-18 (3x3 filters) at the elbow, as in the paper's Table IV "
        "(144.4 vs 111.4 MB, 99.4 vs 89.0): "
        + ("disagrees**: here CSR weights take " if max(vr_mem) < 1 else "agrees**: CSR weights take "
           if min(vr_mem) > 1 else "partly**: CSR weights take ")
        + ", ".join(f"{name[m]} {csr_w[('elbow', m)]:.2f}x" for m in ("vgg16", "resnet18"))
        + " of the dense ones. This engine's CSR is row-wise over whole filters: 8 bytes per nonzero (value and "
        "column index) + 4 per row against 4 per dense weight, so it saves memory above ~50 % sparsity "
        "whatever the filter size, and costs memory below: MobileNet at 23.5 % sparsity takes "
        f"{csr_w[('elbow', 'mobilenet')]:.2f}x (the paper: 2.73x, Table IV), at 42 % "
        f"{csr_w[('fixed', 'mobilenet')]:.2f}x.")
    tw = [wts(st, m, "ternary") / wts(st, m, "plain") for st, m in mcases]
    tp = [peak(st, m, "ternary") / peak(st, m, "plain") for st, m in mcases]
    out.append(
        ("**Ternary saves memory: disagrees with the paper's Table IV, agrees with Table VI**" if max(tw) < 1 else
         "**Ternary does not save memory: agrees with the paper's Table IV**")
        + f" — ternary weights take {rng(tw)} of the plain weights here (2-bit codes, whatever the sparsity; "
        f"peak memory {rng(tp)} of plain). The paper stored ternary weights in CSR and saw them take more "
        f"memory than plain at the elbow (Table IV: 1.13-2.91x) and 0.29-0.95x at 90 % accuracy (Table VI).")

    # 3. threads
    if len(threads) > 1:
        okm = [m for m in MODELS if not bad("fig4", m, "plain", TN)]
        spd = {m: med("fig4", m, "plain", T1) / med("fig4", m, "plain", TN) for m in MODELS}
        line = "**MobileNet gains least from more threads, VGG-16 and ResNet-18 gain** (finding 3): "
        if len(okm) == len(MODELS):
            agree3 = spd["mobilenet"] < min(spd["vgg16"], spd["resnet18"])
            gains = [spd[m] > 1.1 for m in ("vgg16", "resnet18")]
            line += ("**agrees**" if agree3 and all(gains) else "**partly**" if agree3 or any(gains)
                     else "**disagrees**")
        else:
            line += "**not measurable here** (" + ", ".join(name[m] for m in MODELS if m not in okm) + " †)"
        line += f" — plain model, T={T1} -> T={TN} speed-up: " + ", ".join(
            f"{name[m]} {spd[m]:.2f}x" + (" †" if m not in okm else "") for m in MODELS)
        sp_all = {m: [med("fig4", m, x, T1) / med("fig4", m, x, TN) for x in four if not bad("fig4", m, x, TN)]
                  for m in MODELS}
        line += "; over the four techniques, cells without †: " + "; ".join(
            f"{name[m]} {rng(sp_all[m])}" for m in MODELS) + "."
        out.append(line)

    # 4. fixed accuracy
    for t in threads:
        mb = iv("fig5", "mobilenet", "plain", t)
        v, r = iv("fig5", "vgg16", "keep", t), iv("fig5", "resnet18", "keep", t)
        res = []
        for x in (v, r):
            res.append("yes" if x[1] * TOL < mb[0] else "no" if x[0] > mb[1] * TOL else "?")
        word = ("agrees" if res == ["yes", "yes"] else "disagrees" if res == ["no", "no"] else
                "not measurable here" if "?" in res and "yes" not in res and "no" not in res else "partly")
        out.append(
            f"**At fixed accuracy, channel-pruned VGG-16 and ResNet-18 beat the plain MobileNet (T={t}): {word}** "
            f"(finding 4) — VGG-16 {'faster' if res[0] == 'yes' else 'slower' if res[0] == 'no' else 'undecided'}, "
            f"ResNet-18 {'faster' if res[1] == 'yes' else 'slower' if res[1] == 'no' else 'undecided'}: "
            f"{fmt_ms(med('fig5', 'vgg16', 'keep', t))} and {fmt_ms(med('fig5', 'resnet18', 'keep', t))} ms "
            f"against {fmt_ms(med('fig5', 'mobilenet', 'plain', t))} ms (ratios "
            f"{rtxt((v[0] / mb[1], v[1] / mb[0]))} and {rtxt((r[0] / mb[1], r[1] / mb[0]))}).")
    return out


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"rates": cmd_rates, "rate": cmd_rate, "tcheck": cmd_tcheck, "spec": cmd_spec, "plan": cmd_plan,
     "lat": cmd_lat, "order": cmd_order, "mem": cmd_mem, "memest": cmd_memest, "dat": cmd_dat, "report": cmd_report}[cmd](*args)
PYEOF
py() { "$PY" "$H" "$@"; }

# ------------------------------------------------------ command recording
# Every command that produces a number is written to commands.sh exactly as
# it is run (eval of the same text), its stdout kept as raw/<id>.out.
CMDS=$STAGE/commands.sh
{
  echo '#!/usr/bin/env bash'
  echo "# Generated by tools/paper_report.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ). Run from the repository root."
  echo 'set -e'
  echo 'SP=${STACKPLAN:-build/stackplan}'
  echo "P=${OUT#"$ROOT"/}/plans"
  echo 'R=${R:-$(mktemp -d)}; mkdir -p "$R"'
} > "$CMDS"
defvar() { # NAME VALUE: a shell variable both here and in commands.sh
  printf -v "$1" '%s' "$2"
  printf "%s='%s'\n" "$1" "$2" >> "$CMDS"
}
run() { # ID COMMAND-TEXT: eval the text, stdout to raw/ID.out; a failure ends the script
  local id=$1 text=$2
  printf '%s > "$R/%s.out"\n' "$text" "$id" >> "$CMDS"
  if ! eval "$text" > "$R/$id.out" 2> "$WORK/$id.err"; then
    die "command '$id' failed: $(head -n 1 "$WORK/$id.err") (command: ${text:0:200})"
  fi
}
note() { printf '%s\n' "$*" >&3; }

# ------------------------------------------------------------- the models
MODELS="vgg16 resnet18 mobilenet"
spec_of() { printf '%s:w=0.5,c=1' "$1"; }

note "$me: identifying the models"
echo '# model identity (layers, prunable channel groups) and shapes' >> "$CMDS"
for m in $MODELS; do
  run "${m}_identify" "\"\$SP\" sense $(spec_of "$m") --identify"
  run "${m}_info" "\"\$SP\" info $(spec_of "$m") --json"
done

py rates "$ROOT" "$STAGE/rates.csv"
TCHECK=$(py tcheck "$ROOT")

# compress/variant specs: C_<model>_<tech>_<set>, V_<model>_<tech>_<set>_T<t>
mkspec() { # MODEL TECH SET THREADS -> defines C_ and V_ variables (once each)
  local m=$1 tech=$2 set=$3 t=$4 rate=0 cv c v
  case $tech in
    csr|csrim2col) rate=$(py rate "$STAGE/rates.csv" "$m" "$set" csr) ;;
    keep|ternary) rate=$(py rate "$STAGE/rates.csv" "$m" "$set" "$tech") ;;
  esac
  cv=$(py spec "$R/${m}_identify.out" "$R/${m}_info.out" "$tech" "$rate" "$t")
  c=$(sed -n 1p <<< "$cv"); v=$(sed -n 2p <<< "$cv")
  local cn=C_${m}_${tech%im2col}_${set} vn=V_${m}_${tech}_${set}_T${t}
  [ "$tech" = keep ] && vn=
  [ -z "$c" ] && cn=
  [ -z "$v" ] && vn=
  if [ -n "$cn" ] && [ -z "${!cn+x}" ]; then defvar "$cn" "$c"; fi
  if [ -n "$vn" ] && [ -z "${!vn+x}" ]; then defvar "$vn" "$v"; fi
  ARGS=
  [ -n "$cn" ] && ARGS+=" --compress \"\$$cn\""
  [ -n "$vn" ] && ARGS+=" --variant \"\$$vn\""
  RATE=$rate
  return 0
}

# ------------------------------------------------------------------ memory
note "$me: memory (Table IV/VI analogues)"
MEMCSV=$STAGE/memory.csv
echo "set,model,technique,rate,peak_mib,weights_mib,activations_mib,workspace_mib,rss_kib,memory_estimate_mib,memory_measured_mib,command_id" > "$MEMCSV"
echo '# memory: uncompressed cross-check, then a plan per model x technique x rate set run by `run`' >> "$CMDS"
declare -A PLAIN_MEM
for m in $MODELS; do
  run "${m}_memory" "\"\$SP\" memory $(spec_of "$m")"
  x=$(py memest "$R/${m}_memory.out"); read -r est meas <<< "$x"
  for set in elbow fixed; do
    for tech in plain csr keep ternary; do
      if [ "$tech" = plain ] && [ -n "${PLAIN_MEM[$m]:-}" ]; then
        echo "$set,$m,plain,0,${PLAIN_MEM[$m]},$est,$meas,${m}_plain_run" >> "$MEMCSV"; continue
      fi
      mkspec "$m" "$tech" "$set" 1
      id=${m}_${tech}_${set}; [ "$tech" = plain ] && id=${m}_plain
      run "${id}_layers" "\"\$SP\" infer $(spec_of "$m")$ARGS --threads 1 --repeat 1 --layers"
      cspec=; cn=C_${m}_${tech}_${set}; [ -n "${!cn+x}" ] && cspec=${!cn}
      py plan "$(spec_of "$m")" "$R/${m}_identify.out" "$R/${id}_layers.out" "$cspec" "$P/$id.json"
      if [ -n "$TIME" ]; then
        run "${id}_run" "$TIME -f %M -o \"\$R/${id}_run.rss\" \"\$SP\" run \"\$P/$id.json\" --model $(spec_of "$m") --force --repeat 1 --no-reference"
        rss=$(tail -n 1 "$R/${id}_run.rss")
      else
        run "${id}_run" "\"\$SP\" run \"\$P/$id.json\" --model $(spec_of "$m") --force --repeat 1 --no-reference"
        rss=
      fi
      x=$(py mem "$R/${id}_run.out"); read -r peak wts act ws <<< "$x"
      line="$peak,$wts,$act,$ws,$rss"
      if [ "$tech" = plain ]; then PLAIN_MEM[$m]=$line; echo "$set,$m,plain,0,$line,$est,$meas,${id}_run" >> "$MEMCSV"
      else echo "$set,$m,$tech,$RATE,$line,,,${id}_run" >> "$MEMCSV"; fi
    done
  done
done

# ----------------------------------------------------------------- latency
LATCSV=$STAGE/latency.csv
echo "figure,model,technique,set,rate,threads,pass,median_ms,p10_ms,p90_ms,runs,others_cores,command_id" > "$LATCSV"
HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)
busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8; exit}' /proc/stat; } # user nice system irq softirq
child_ticks() { # CPU time of this shell's waited-for children (cutime + cstime), in clock ticks
  sed 's/.*) //' "/proc/$$/stat" | awk '{print $14 + $15}'
}
latency() { # FIG MODEL TECH SET THREADS PASS
  local fig=$1 m=$2 tech=$3 set=$4 t=$5 pass=$6 id b0 c0 w0 b1 c1 w1 others
  mkspec "$m" "$tech" "$set" "$t"
  id=${fig}_${m}_${tech}_${set}_T${t}_p${pass}
  b0=$(busy_ticks); c0=$(child_ticks); w0=$(date +%s.%N)
  run "$id" "\"\$SP\" infer $(spec_of "$m")$ARGS --threads $t --repeat $REPEAT"
  w1=$(date +%s.%N); c1=$(child_ticks); b1=$(busy_ticks)
  # CPU the machine's other processes used during the series, in cores
  # (all of it, niced or not: with autogroup scheduling, nice does not
  # lower the share of a process in another session)
  others=$(awk -v b="$((b1 - b0))" -v c="$((c1 - c0))" -v w="$(awk -v a="$w0" -v z="$w1" 'BEGIN {print z - a}')" \
    -v hz="$HZ" 'BEGIN { x = (b - c) / hz / w; if (x < 0) x = 0; printf "%.2f\n", x }')
  x=$(py lat "$R/$id.out"); read -r med p10 p90 n <<< "$x"
  echo "$fig,$m,$tech,$set,$RATE,$t,$pass,$med,$p10,$p90,$n,$others,$id" >> "$LATCSV"
}
# Every configuration: Figure 4 (elbow rates, 6 techniques) and Figure 5
# (fixed-accuracy rates, 4 techniques), each thread count. Pass 1 measures
# them all; passes 2..PASSES measure them again while the script is within
# its time budget (BUDGET seconds from the start), the suspect series first
# (a multi-threaded median over 1.5 times the single-threaded one: load from the
# machine's other users), then the rest in reverse order, so that a burst of
# load does not hit the same configurations twice. The report quotes the
# lower of a configuration's series medians.
CONFIGS=()
for m in $MODELS; do
  for t in $THREADS; do
    for tech in plain direct csr csrim2col keep ternary; do CONFIGS+=("fig4 $m $tech elbow $t"); done
    for tech in plain csr keep ternary; do CONFIGS+=("fig5 $m $tech fixed $t"); done
  done
done
printf '%s\n' "${CONFIGS[@]}" > "$WORK/configs.txt"
for ((pass = 1; pass <= PASSES; pass++)); do
  if ((pass == 1)); then order=$(seq 0 $((${#CONFIGS[@]} - 1))); else order=$(py order "$WORK/configs.txt" "$LATCSV"); fi
  note "$me: latency, pass $pass of $PASSES (up to ${#CONFIGS[@]} series of $REPEAT runs)"
  echo "# latency, pass $pass: Figure 4 (elbow rates) and Figure 5 (fixed-accuracy rates)" >> "$CMDS"
  for i in $order; do
    if ((pass > 1 && $(date +%s) - T0 > BUDGET)); then
      note "$me: time budget of $BUDGET s reached: pass $pass stopped"; break 2
    fi
    # shellcheck disable=SC2086
    latency ${CONFIGS[$i]} "$pass"
  done
done

# ------------------------------------------------------------------- plots
note "$me: plots"
py dat "$STAGE" "$THREADS"
NT=$(wc -w <<< "$THREADS")
cat > "$STAGE/fig4.gp" <<'GP'
# Figure 4 analogue: median latency vs threads per technique (fig4.dat: one block per model)
set terminal pngcairo size 1500,600 font ",10"
set output 'fig4.png'
set datafile separator whitespace
set multiplot layout 1,3 title "Latency vs threads (accuracy-elbow rates, batch 1, median; values marked † in report.md were taken while other processes held a core)"
set logscale y
set ylabel "ms per image"
set format x "T = %g"
set xtics 1
set xrange [0.9:*]
set key outside bottom center horizontal maxcols 2 font ",8"
set grid ytics
titles = "VGG-16 ResNet-18 MobileNet"
do for [i=0:2] {
  set title word(titles, i+1)
  plot 'fig4.dat' index i using 1:2 with linespoints lw 2 pt 7 title "plain", \
       '' index i using 1:3 with linespoints lw 2 pt 5 title "plain, direct conv", \
       '' index i using 1:4 with linespoints lw 2 pt 9 title "pruning, CSR direct", \
       '' index i using 1:5 with linespoints lw 2 pt 11 title "pruning, CSR im2col", \
       '' index i using 1:6 with linespoints lw 2 pt 13 title "channel pruning", \
       '' index i using 1:7 with linespoints lw 2 pt 15 title "ternary"
}
unset multiplot
GP
{
  echo "# Figure 5 analogue: median latency per technique at the fixed-accuracy rates (fig5.dat)"
  echo "set terminal pngcairo size $((500 * NT + 200)),560 font \",10\""
  echo "set output 'fig5.png'"
  echo "set multiplot layout 1,$NT title \"Latency at a fixed accuracy (batch 1, median; values marked † in report.md were taken while other processes held a core)\""
  echo "set style data histograms; set style histogram clustered gap 1; set style fill solid 0.8 border -1"
  echo "set logscale y; set ylabel 'ms per image'; set grid ytics; set key outside bottom center horizontal font ',8'"
  i=0
  for t in $THREADS; do
    b=$((2 + i * 4))
    echo "set title 'threads = $t'"
    echo "plot 'fig5.dat' using $b:xtic(1) title 'plain', '' using $((b + 1)) title 'pruning, CSR', '' using $((b + 2)) title 'channel pruning', '' using $((b + 3)) title 'ternary'"
    i=$((i + 1))
  done
  echo "unset multiplot"
} > "$STAGE/fig5.gp"
cat > "$STAGE/memory.gp" <<'GP'
# Table IV/VI analogue: runtime peak memory per technique (memory.dat: elbow, then fixed)
set terminal pngcairo size 1200,500 font ",10"
set output 'memory.png'
set multiplot layout 1,2 title "Runtime memory: weights in the kernel's format + activations + workspace (MiB)"
set style data histograms; set style histogram clustered gap 1; set style fill solid 0.8 border -1
set ylabel 'MiB'; set grid ytics; set key top right font ',8'; set yrange [0:*]
set title 'accuracy-elbow rates (Table IV analogue)'
plot 'memory.dat' index 0 using 2:xtic(1) title 'plain', '' index 0 using 3 title 'pruning, CSR', '' index 0 using 4 title 'channel pruning', '' index 0 using 5 title 'ternary'
set title 'fixed-accuracy rates (Table VI analogue)'
plot 'memory.dat' index 1 using 2:xtic(1) title 'plain', '' index 1 using 3 title 'pruning, CSR', '' index 1 using 4 title 'channel pruning', '' index 1 using 5 title 'ternary'
unset multiplot
GP
for g in fig4 fig5 memory; do
  (cd "$STAGE" && gnuplot "$g.gp" 2> "$WORK/$g.gperr") || die "gnuplot failed on $g.gp: $(head -n 1 "$WORK/$g.gperr")"
  [ -s "$STAGE/$g.png" ] || die "gnuplot wrote no $g.png"
done

# ------------------------------------------------------------------ report
note "$me: report"
lscpu_field() { lscpu | sed -n "s/^$1:[[:space:]]*//p" | head -n 1; }
CPU=$(lscpu_field 'Model name')
SOCK=$(lscpu_field 'Socket(s)'); CPS=$(lscpu_field 'Core(s) per socket')
CORES=$(( ${SOCK:-1} * ${CPS:-1} ))
MEMTOT=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
GIT=$(cd "$ROOT" && { git rev-parse --short HEAD 2>/dev/null || echo unknown; })
if (cd "$ROOT" && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]); then GIT="$GIT + uncommitted changes"; fi
WALL=$(( $(date +%s) - T0 ))
"$PY" - "$STAGE/meta.json" <<PYEOF
import json, sys
json.dump({"date": "$(date -u '+%Y-%m-%d %H:%M UTC')", "cpu": """$CPU""", "cores": "$CORES", "nproc": "$(nproc)",
           "mem": "$MEMTOT", "load_start": "$LOAD0", "load_end": "$(cut -d' ' -f1-3 /proc/loadavg)",
           "binary": "$SP", "git": "$GIT", "repeat": "$REPEAT", "passes": "$PASSES", "budget": "$BUDGET", "autogroup": "$(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null || echo unknown)", "threads": "$THREADS",
           "tcheck": "$TCHECK", "wall_s": "$WALL", "out_rel": "${OUT#"$ROOT"/}"}, open(sys.argv[1], "w"))
PYEOF
py report "$STAGE" "$STAGE/meta.json" "$STAGE/report.md"
rm -f "$STAGE/meta.json"

# ------------------------------------------------------------ into place
chmod -R a+rX "$STAGE"
if [ -e "$OUT" ]; then
  OLD=$(mktemp -d "$(dirname "$OUT")/.$(basename "$OUT").old.XXXXXX")
  mv "$OUT" "$OLD/" && mv "$STAGE" "$OUT" && rm -rf "$OLD"
else
  mv "$STAGE" "$OUT"
fi
note "$me: wrote $OUT/report.md in $(( $(date +%s) - T0 )) s"
