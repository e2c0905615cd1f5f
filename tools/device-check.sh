#!/usr/bin/env bash
# The GPU-machine check: one run of at most ~8 minutes on the lent H200 (no .NET, no network there), from the repo root,
# with artifacts/portable and artifacts/device carried (made by tools/prepare-device-check.sh). See docs/device-check.md.
#
#   bash tools/device-check.sh [report-dir]      (default: $OUT, else artifacts/device-report)
#
# Writes report.md, report.json and log.txt into report-dir (rewritten after every step, so a run cut short still
# leaves a report). Exits 0 when it ran to the end, whatever failed; non-zero only when it cannot run at all.
#
# Environment:
#   LLMC                         the llmc to run (default artifacts/portable/llmc)
#   DEVICE_CHECK_CONFIG          config.json for the synthesised model (default tools/configs/llama-3.2-1b.json)
#   DEVICE_CHECK_SKIP_SYNTH=1    skip the synthesised model (steps llama-1b and concurrency)
#   DEVICE_CHECK_PARALLEL=0|1    synth and the three builds in the background, builds at once (default: 1 with >= 8 cores)
#   DEVICE_CHECK_BUDGET_S        no heavy step starts that would end past this many seconds (default 450)
#   DEVICE_CHECK_HARD_S          every command is killed by this many seconds into the run (default 470)
#   DEVICE_CHECK_INPUTS          the prepared inputs (default artifacts/device)
#   DEVICE_CHECK_FORCE_UNPACK=1  unpack the loader and glslc debs even where the machine has them (rehearsal)
#   DEVICE_CHECK_LOADER_ROOT     where the loader debs are unpacked (default /, then ldconfig; elsewhere: LD_LIBRARY_PATH)
#   DEVICE_CHECK_GLSLC_ROOT      where the glslc debs are unpacked (default /tmp/llmc-glslc)
#   DEVICE_CHECK_KEEP=1          keep the work folder (engines, raw outputs) instead of removing it at the end
set -uo pipefail
shopt -s lastpipe   # `helper | verdict` sets V_STATUS and V_REASON in this shell

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
here=$PWD
abs() { case $1 in /*) echo "$1" ;; *) echo "$here/$1" ;; esac; }   # paths given are relative to the caller's folder
report="$(abs "${1:-${OUT:-$root/artifacts/device-report}}")"
llmc="$(abs "${LLMC:-$root/artifacts/portable/llmc}")"
inputs="$(abs "${DEVICE_CHECK_INPUTS:-$root/artifacts/device}")"
config="$(abs "${DEVICE_CHECK_CONFIG:-$root/tools/configs/llama-3.2-1b.json}")"
cd "$root"
budget_s="${DEVICE_CHECK_BUDGET_S:-450}"
hard_s="${DEVICE_CHECK_HARD_S:-470}"
loader_root="${DEVICE_CHECK_LOADER_ROOT:-/}"
glslc_root="${DEVICE_CHECK_GLSLC_ROOT:-/tmp/llmc-glslc}"

die() { echo "device-check: $*" >&2; exit 2; }
command -v python3 >/dev/null || die "python3 is not on PATH"
command -v timeout >/dev/null || die "timeout (coreutils) is not on PATH"
[ -n "${EPOCHREALTIME:-}" ] || die "bash 5 or later is needed (EPOCHREALTIME)"
[ -x "$llmc" ] || die "no llmc at $llmc (run tools/prepare-device-check.sh here first and carry artifacts/portable, or set LLMC)"
mkdir -p "$report" || die "cannot create the report folder $report"
report="$(cd "$report" && pwd)"
rm -f "$report/report.md" "$report/report.json" "$report/log.txt"
log="$report/log.txt"
work="$(mktemp -d "${TMPDIR:-/tmp}/llmc-device-check.XXXXXX")" || die "cannot create a work folder"
mkdir -p "$work/steps"
[ "${DEVICE_CHECK_KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
# The single-file llmc extracts its assemblies on first start; keep that out of $HOME.
export DOTNET_BUNDLE_EXTRACT_BASE_DIR="${DOTNET_BUNDLE_EXTRACT_BASE_DIR:-/tmp/llmc-bundle}"

# ---------------------------------------------------------------------------------------------------------------
# Python helper: parsing llmc's JSON, the step records and the report (no jq or bc on the device machine).
py="$work/dc.py"
cat >"$py" <<'PY'
import glob, json, os, re, sys

UNAVAILABLE = re.compile(r"no CUDA device is available|no Vulkan (device|loader)|cuInit failed")

def text(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""

def load(path):
    s = text(path).strip()
    if not s:
        return None
    try:
        return json.loads(s)
    except ValueError:
        # The JSON object is the last line that parses; anything before it is not ours.
        for line in reversed(s.splitlines()):
            try:
                return json.loads(line)
            except ValueError:
                pass
    return None

def err_line(path, rc, limit=None):
    if text(path).startswith("not run:"):
        return text(path).strip()
    if rc in (124, 137):
        return f"timed out after {limit} s" if limit else "timed out"
    # llmc's errors are one line "error: <what>"; the prefix says nothing here.
    lines = [re.sub(r"^error: ", "", l.strip()) for l in text(path).splitlines() if l.strip()]
    return " | ".join(lines[:3])[:400] if lines else f"exit code {rc}"

def verdict(status, reason, figures, out):
    with open(out, "w") as f:
        json.dump(figures, f)
    print(f"{status}\t{' '.join(reason.split())}")

def cmd_machine(smi_out, out):
    lines = [l for l in text(smi_out).splitlines() if l.strip()]
    figures = {}
    if len(lines) >= 2:
        keys = [k.strip().split(" [")[0] for k in lines[0].split(",")]
        gpus = [dict(zip(keys, (v.strip() for v in l.split(",")))) for l in lines[1:]]
        figures = {"gpus": gpus}
    with open(out, "w") as f:
        json.dump(figures, f)

def cmd_devices(out_path, rc, err_path, out):
    rc = int(rc)
    data = load(out_path)
    if rc != 0 or not isinstance(data, dict):
        return verdict("failed", err_line(err_path, rc), {}, out)
    devices = data.get("vulkan") or []
    figures = {"vulkan_devices": [f"{d.get('index')}: {d.get('name')} ({d.get('type')})" for d in devices]}
    gpu = next((d for d in devices if str(d.get("type", "")).upper() != "CPU"), None)
    figures["gpu_index"] = gpu.get("index") if gpu else None
    if not devices:
        return verdict("failed", "llmc devices lists no Vulkan device", figures, out)
    verdict("passed", "", figures, out)

def cmd_selftest(out_path, err_path, rc, limit, out):
    rc = int(rc)
    if rc == 2:
        return verdict("skipped", err_line(err_path, rc), {}, out)
    data = load(out_path)
    if not isinstance(data, dict) or "cases" not in data:
        return verdict("failed", err_line(err_path, rc, limit), {}, out)
    cases = data.get("cases") or []
    failing = [c.get("name") for c in cases if not c.get("passed")]
    figures = {k: data[k] for k in ("target", "device", "passed", "failed", "skipped", "seconds", "compile_seconds") if k in data}
    figures["failing_cases"] = failing
    figures["failures"] = [{k: c.get(k) for k in ("name", "error", "tolerance", "message")} for c in cases if not c.get("passed")][:20]
    if data.get("skipped_cases"):
        figures["skipped_cases"] = [f"{c.get('name')}: {c.get('reason')}" for c in data["skipped_cases"]]
    if rc == 0 and not failing:
        return verdict("passed", "", figures, out)
    reason = f"{len(failing)} of {len(cases)} cases failed: {', '.join(failing[:8])}{' ...' if len(failing) > 8 else ''}" if failing \
        else err_line(err_path, rc, limit)
    verdict("failed", reason, figures, out)

def cmd_golden(run_out, err_path, rc, refs, prompt, out):
    """One golden case: the run's ids against reference-outputs.json; prints ok|unavailable|error and a reason."""
    rc = int(rc)
    case = next(c for c in load(refs)["cases"] if c["prompt"] == prompt)
    expected = case["generated_ids"]
    figures = {"prompt": prompt, "total": len(expected)}
    if rc != 0:
        reason = err_line(err_path, rc)
        status = "unavailable" if UNAVAILABLE.search(reason) else "error"
        return verdict(status, reason, figures, out)
    data = load(run_out) or {}
    tokens = data.get("tokens") or []
    figures["equal"] = sum(1 for a, b in zip(tokens, expected) if a == b)
    figures["first_difference"] = next((i for i, (a, b) in enumerate(zip(tokens, expected)) if a != b),
                                       None if len(tokens) == len(expected) else min(len(tokens), len(expected)))
    figures["prompt_ids_equal"] = data.get("prompt_tokens") == case["prompt_ids"]
    stats = data.get("stats") or {}
    figures["prefill_tokens_per_s"] = stats.get("prefill_tokens_per_s")
    figures["decode_tokens_per_s"] = stats.get("decode_tokens_per_s")
    verdict("ok", "", figures, out)

def cmd_golden_sum(out, *files):
    cases = [json.load(open(f)) for f in files]
    equal = sum(c.get("equal", 0) for c in cases)
    total = sum(c["total"] for c in cases)
    figures = {"golden": f"{equal} of {total} golden ids equal", "golden_equal": equal, "golden_total": total,
               "cases": cases}
    bad = [c for c in cases if c.get("equal") != c["total"] or not c.get("prompt_ids_equal")]
    if bad:
        return verdict("failed", f"{equal} of {total} golden ids equal; first difference at id "
                       + ", ".join(f"{c['first_difference']} (prompt {c['prompt']!r})" for c in bad), figures, out)
    verdict("passed", "", figures, out)

BENCH_KEYS = ["prefill_tokens_per_s", "decode_tokens_per_s", "decode_tokens_per_s_min", "decode_tokens_per_s_max",
              "roofline_fraction", "roofline_fraction_of_peak", "bytes_per_token", "bandwidth_gb_per_s",
              "bandwidth_gb_per_s_median", "bandwidth_source", "bandwidth_device", "decode_step_ms",
              "prompt_tokens", "gen_tokens", "repeat", "step_ms_by_template", "prefill_step_tokens", "prefill_step_ms",
              "prefill_step_ms_by_template"]

def bench_json(out_path, err_path, rc, limit):
    """A bench run's JSON object and None, or None and why there is none (its stderr line)."""
    rc = int(rc)
    data = load(out_path)
    if rc != 0 or not isinstance(data, dict):
        return None, err_line(err_path, rc, limit)
    return data, None

def cmd_bench(out_path, err_path, rc, limit, out):
    data, reason = bench_json(out_path, err_path, rc, limit)
    if data is None:
        return verdict("unavailable" if UNAVAILABLE.search(reason) else "error", reason, {}, out)
    verdict("ok", "", {k: data[k] for k in BENCH_KEYS if k in data}, out)

def cmd_concurrency(out_path, err_path, rc, limit, out):
    data, reason = bench_json(out_path, err_path, rc, limit)
    if data is None:
        return verdict("skipped" if UNAVAILABLE.search(reason) else "failed", reason, {}, out)
    levels = data.get("concurrency") or []
    figures = {"levels": levels, "decode_tokens_per_s": data.get("decode_tokens_per_s"),
               "prefill_tokens_per_s": data.get("prefill_tokens_per_s")}
    differ = [f"{l.get('requests_different_alone')} of {l.get('sequences')}" for l in levels if l.get("requests_different_alone")]
    if differ:
        return verdict("failed", "requests whose ids differ alone: " + ", ".join(differ), figures, out)
    verdict("passed", "", figures, out)

def cmd_invariance(default_out, default_err, default_rc, default_limit, exact_out, exact_err, exact_rc, exact_limit, out):
    """The f16 engine's requests checked alone: by default (tensor-core prefill, a figure) and --batch-invariant (none may differ)."""
    figures = {}
    for name, (o, e, rc, limit) in {"default": (default_out, default_err, default_rc, default_limit),
                                    "batch_invariant": (exact_out, exact_err, exact_rc, exact_limit)}.items():
        data, reason = bench_json(o, e, rc, limit)
        if data is None:
            return verdict("skipped" if UNAVAILABLE.search(reason) else "failed", f"{name}: {reason}", figures, out)
        levels = data.get("concurrency") or []
        figures[name] = {"levels": levels, "prefill_tokens_per_s": data.get("prefill_tokens_per_s")}
        figures[f"requests_different_alone_{name}"] = sum(l.get("requests_different_alone") or 0 for l in levels)
    if figures["requests_different_alone_batch_invariant"]:
        return verdict("failed", f"{figures['requests_different_alone_batch_invariant']} requests differ alone with --batch-invariant", figures, out)
    verdict("passed", "", figures, out)

def merge(a, b):
    for k, v in b.items():
        if isinstance(v, dict) and isinstance(a.get(k), dict):
            merge(a[k], v)
        else:
            a[k] = v
    return a

def cmd_record(path, name, status, seconds, reason, figs, *raws):
    """figs: lines key<TAB>s|j|m<TAB>value (string, JSON literal, JSON object file to merge). raws: label=file."""
    figures = {}
    for line in text(figs).splitlines():
        parts = line.split("\t", 2)
        if len(parts) != 3:
            continue
        key, kind, value = parts
        if kind == "s":
            figures[key] = (float(value) if "." in value else int(value)) if re.fullmatch(r"-?\d+(\.\d+)?", value) else value
        elif kind == "j":
            try:
                figures[key] = json.loads(value)
            except ValueError:
                figures[key] = value
        elif kind == "m":
            obj = load(value)
            if isinstance(obj, dict):
                merge(figures, {key: obj} if key != "*" else obj)
    raw = {}
    for spec in raws:
        label, _, file = spec.partition("=")
        obj = load(file)
        if obj is not None:
            raw[label] = obj
        elif text(file).strip():
            raw[label] = text(file)[-4000:]
    with open(path, "w") as f:
        json.dump({"name": name, "status": status, "seconds": float(seconds), "reason": reason,
                   "figures": figures, "raw": raw}, f)

def fmt(v):
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1 else f"{v:,.1f}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    if v is None:
        return "none"
    if isinstance(v, (dict, list)):
        return json.dumps(v, separators=(", ", ": "))
    return str(v)

def cmd_report(work, report_dir, total, budget, finished):
    meta = load(os.path.join(work, "meta.json")) or {}
    steps = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(work, "steps", "*.json")))]
    doc = dict(meta, total_seconds=float(total), budget_seconds=float(budget), finished=finished == "1", steps=steps)
    with open(os.path.join(report_dir, "report.json"), "w") as f:
        json.dump(doc, f, indent=1)
    md = ["# llmc device check", ""]
    md.append(f"llmc {meta.get('llmc_version', '?')}, started {meta.get('started', '?')}, "
              f"{float(total):.0f} s in all (budget {float(budget):.0f} s)"
              + ("" if finished == "1" else ", **stopped early: the report is partial**") + ".")
    counts = {s: sum(1 for x in steps if x["status"] == s) for s in ("passed", "failed", "skipped")}
    md += ["", f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped", "",
           "| step | status | seconds | reason |", "| --- | --- | ---: | --- |"]
    for s in steps:
        md.append(f"| {s['name']} | {s['status']} | {s['seconds']:.1f} | {s['reason'].replace('|', '/')} |")
    md += ["", "## Figures"]
    for s in steps:
        f = dict(s["figures"])
        if not f:
            continue
        md += ["", f"### {s['name']}", ""]
        quants = f.pop("quants", None)
        levels = f.pop("levels", None)
        cases = f.pop("cases", None)
        for k, v in f.items():
            md.append(f"- {k}: {fmt(v)}")
        if cases:
            for c in cases:
                md.append(f"- case {c.get('prompt')!r}: {c.get('equal', '-')} of {c['total']} equal"
                          + (f", decode {fmt(c.get('decode_tokens_per_s'))} tok/s" if c.get('decode_tokens_per_s') else ""))
        if quants:
            cols = ["build_s", "engine_mib", "bench", "prefill_tokens_per_s", "decode_tokens_per_s", "decode_step_ms", "prefill_step_ms", "roofline_fraction",
                    "roofline_fraction_of_peak", "bytes_per_token", "bandwidth_gb_per_s", "bandwidth_gb_per_s_median",
                    "bandwidth_source"]
            md += ["", "| quant | " + " | ".join(cols) + " |", "| --- |" + " ---: |" * len(cols)]
            for q, v in sorted(quants.items(), key=lambda kv: ["f16", "q8", "q4"].index(kv[0]) if kv[0] in ("f16", "q8", "q4") else 9):
                md.append(f"| {q} | " + " | ".join(fmt(v.get(c, "-")) for c in cols) + " |")
            for q, v in quants.items():
                for key in ("step_ms_by_template", "prefill_step_ms_by_template"):
                    if isinstance(v.get(key), dict):
                        md.append(f"- {q} {key} (ms): " + ", ".join(f"{t} {ms:.3f}" for t, ms in v[key].items()))
            devices = {v.get("bandwidth_device") for v in quants.values() if v.get("bandwidth_device")}
            if devices:
                md.append(f"\nbandwidth measured on: {', '.join(sorted(devices))}")
        if levels:
            cols = ["sequences", "output_tokens_per_s", "requests_per_s", "ttft_ms_median", "ttft_ms_p99", "tpot_ms_median",
                    "tpot_ms_p99", "kv_blocks_peak", "requests_different_alone"]
            md += ["", "| " + " | ".join(cols) + " |", "|" + " ---: |" * len(cols)]
            for l in levels:
                md.append("| " + " | ".join(fmt(l.get(c, "-")) for c in cols) + " |")
    with open(os.path.join(report_dir, "report.md"), "w") as f:
        f.write("\n".join(md) + "\n")

def cmd_errline(path, rc, limit=None):
    print(err_line(path, int(rc), limit))

def cmd_meta(out, version, started, **_):
    with open(out, "w") as f:
        json.dump({"llmc_version": version, "started": started}, f)

if __name__ == "__main__":
    globals()["cmd_" + sys.argv[1].replace("-", "_")](*sys.argv[2:])
PY

# ---------------------------------------------------------------------------------------------------------------
# Clock, commands and step records.
now_ms() { local t=${EPOCHREALTIME//[.,]/}; echo $(( t / 1000 )); }
t_start=$(now_ms)
elapsed_ms() { echo $(( $(now_ms) - t_start )); }
secs() { local ms=$1; printf '%d.%01d' $(( ms / 1000 )) $(( ms % 1000 / 100 )); }
# fits NEED_S: the budget still holds a step expected to take about NEED_S seconds.
fits() { (( $(elapsed_ms) + $1 * 1000 <= budget_s * 1000 )); }

# run LABEL LIMIT_S CMD...: CMD under timeout (capped so nothing outlives the hard limit), stdout in $work/LABEL.out,
# stderr in $work/LABEL.err; sets RC, DUR (seconds) and LIMIT, writes them to $work/LABEL.status, and appends the
# command, exit code, time and output tails to log.txt (to $RUN_LOG instead where a background job sets it).
run() {
  local label=$1 limit=$2; shift 2
  local left=$(( hard_s - $(elapsed_ms) / 1000 ))
  (( limit > left )) && limit=$left
  LIMIT=$limit
  local t0; t0=$(now_ms)
  if (( limit < 3 )); then
    RC=124; : >"$work/$label.out"; echo "not run: the run's hard limit of $hard_s s is reached" >"$work/$label.err"
  else
    timeout -k 5 "$limit" "$@" >"$work/$label.out" 2>"$work/$label.err" </dev/null
    RC=$?
  fi
  DUR=$(secs $(( $(now_ms) - t0 )))
  {
    printf '$'; printf ' %q' "$@"; printf '\n'
    echo "exit $RC after ${DUR} s (limit ${limit} s)$( ((RC == 124 || RC == 137)) && echo ': TIMED OUT')"
    if [ -s "$work/$label.out" ]; then echo "--- stdout (tail)"; tail -c 3000 "$work/$label.out" | tail -n 30; echo; fi
    if [ -s "$work/$label.err" ]; then echo "--- stderr (tail)"; tail -c 3000 "$work/$label.err" | tail -n 30; echo; fi
    echo
  } >>"${RUN_LOG:-$log}"
  echo "$RC $DUR $LIMIT" >"$work/$label.status"
}

step_no=0
step_begin() { # step_begin NAME
  STEP=$1; STEP_T0=$(now_ms); STEP_RAW=(); step_no=$((step_no + 1))
  : >"$work/figs.tsv"
  echo "=== step $step_no: $STEP ($(secs "$(elapsed_ms)") s into the run)" >>"$log"
  echo "== $STEP" >&2
}
fig() { printf '%s\ts\t%s\n' "$1" "${2//$'\n'/ }" >>"$work/figs.tsv"; }     # string figure
figj() { printf '%s\tj\t%s\n' "$1" "$2" >>"$work/figs.tsv"; }                # JSON literal figure
figm() { printf '%s\tm\t%s\n' "$1" "$2" >>"$work/figs.tsv"; }                # merge a JSON object file (key * = top level)
raw() { STEP_RAW+=("$1=$2"); }
step_end() { # step_end STATUS REASON
  local status=$1 reason=${2:-}
  python3 "$py" record "$(printf '%s/steps/%02d.json' "$work" "$step_no")" "$STEP" "$status" \
    "$(secs $(( $(now_ms) - STEP_T0 )))" "$reason" "$work/figs.tsv" "${STEP_RAW[@]}"
  echo "=== $STEP: $status${reason:+ ($reason)}" >>"$log"; echo >>"$log"
  echo "   $status${reason:+: $reason}" >&2
  write_report 0
}
skip_step() { step_begin "$1"; step_end skipped "$2"; }
write_report() { python3 "$py" report "$work" "$report" "$(secs "$(elapsed_ms)")" "$budget_s" "$1"; }
# verdict: read "STATUS<TAB>REASON" printed by a helper command into V_STATUS and V_REASON.
verdict() { IFS=$'\t' read -r V_STATUS V_REASON || true; }

echo "llmc device check, started $(date -u +%FT%TZ), budget ${budget_s} s, hard limit ${hard_s} s" >"$log"
echo "llmc: $llmc; report: $report; work: $work" >>"$log"
echo >>"$log"
run version 60 "$llmc" --version
python3 "$py" meta "$work/meta.json" "$(head -n1 "$work/version.out")" "$(date -u +%FT%TZ)"
[ "$RC" = 0 ] || { write_report 0; die "the llmc at $llmc does not start: $(head -c 300 "$work/version.err")"; }

# ---------------------------------------------------------------------------------------------------------------
# 1. machine
step_begin machine
fig llmc_first_start_s "$DUR"
fig nproc "$(nproc)"
fig kernel "$(uname -r)"
fig os "$( (. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-?}") || echo '?')"
fig memory_gib "$(awk '/^MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo 2>/dev/null)"
# NVRTC for the CUDA builds: llmc tries libnvrtc.so.13/.12/.11.2 by soname; point it at a toolkit's copy otherwise.
if [ -z "${LLMC_NVRTC_PATH:-}" ] && ! ldconfig -p 2>/dev/null | grep -qE 'libnvrtc\.so\.(13|12|11\.2) '; then
  nvrtc=$(python3 - <<'FIND'
import glob, site
patterns = ["/usr/local/cuda/lib64", "/usr/local/cuda-*/lib64", "/usr/local/cuda/targets/x86_64-linux/lib"]
for sp in site.getsitepackages():
    patterns += [sp + "/nvidia/*/lib", sp + "/nvidia/*/*/lib"]
for p in patterns:
    found = sorted(glob.glob(p + "/libnvrtc.so.1[32]"))
    if found:
        print(found[-1])
        break
FIND
  )
  [ -n "$nvrtc" ] && export LLMC_NVRTC_PATH="$nvrtc"
fi
fig nvrtc "${LLMC_NVRTC_PATH:-$(ldconfig -p 2>/dev/null | grep -oE 'libnvrtc\.so\.(13|12|11\.2) ' | head -n1 | tr -d ' ' || true)}"
if command -v nvidia-smi >/dev/null; then
  run nvidia-smi 30 nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.memory --format=csv
  raw nvidia_smi "$work/nvidia-smi.out"
  python3 "$py" machine "$work/nvidia-smi.out" "$work/machine.json"; figm "*" "$work/machine.json"
  if [ "$RC" = 0 ]; then step_end passed; else step_end failed "nvidia-smi: $(head -n1 "$work/nvidia-smi.err")"; fi
else
  step_end skipped "nvidia-smi is not on PATH (no NVIDIA driver on this machine)"
fi

# ---------------------------------------------------------------------------------------------------------------
# 2. vulkan-setup: the loader, the driver's ICD file, glslc.
step_begin vulkan-setup
problems=()
force="${DEVICE_CHECK_FORCE_UNPACK:-0}"
if [ "$force" = 1 ] || ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1 '; then
  debs=("$inputs"/debs/loader/*.deb)
  if [ -f "${debs[0]}" ]; then
    mkdir -p "$loader_root"
    ok=1
    for d in "${debs[@]}"; do run "dpkg-loader-$(basename "$d")" 60 dpkg -x "$d" "$loader_root"; [ "$RC" = 0 ] || ok=0; done
    if [ "$loader_root" = / ]; then
      run ldconfig 60 ldconfig
    else
      export LD_LIBRARY_PATH="$loader_root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    fi
    fig loader "unpacked ${#debs[@]} deb(s) into $loader_root"
    [ "$ok" = 1 ] || problems+=("dpkg -x of a loader deb failed")
  else
    problems+=("no libvulkan.so.1 here and no debs in $inputs/debs/loader")
  fi
else
  fig loader "present: $(ldconfig -p | grep -m1 'libvulkan\.so\.1 ' | sed 's/.*=> //')"
fi
if [ -n "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]; then
  fig icd "given: ${VK_DRIVER_FILES:-$VK_ICD_FILENAMES}"
else
  std=$(ls /etc/vulkan/icd.d/*.json /usr/share/vulkan/icd.d/*.json /usr/local/share/vulkan/icd.d/*.json \
           /usr/local/etc/vulkan/icd.d/*.json 2>/dev/null || true)
  nv=$(ls /usr/local/nvidia/share/vulkan/icd.d/*.json /usr/local/nvidia/etc/vulkan/icd.d/*.json 2>/dev/null | head -n1 || true)
  if [ -n "$nv" ] && ! grep -qi nvidia <<<"$std"; then
    export VK_DRIVER_FILES="$nv"
    fig icd "VK_DRIVER_FILES=$nv (the NVIDIA ICD is only under /usr/local/nvidia)"
    # The ICD names its library by soname; make sure the loader finds it.
    lib=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ICD"]["library_path"])' "$nv" 2>/dev/null || true)
    if [ -n "$lib" ] && [ "${lib#/}" = "$lib" ] && ! ldconfig -p | grep -q "$lib"; then
      for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
        [ -e "$d/$lib" ] && { export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; fig icd_library "$d/$lib (LD_LIBRARY_PATH)"; break; }
      done
    fi
  elif [ -n "$std" ]; then
    fig icd "$(echo $std)"
  else
    problems+=("no Vulkan ICD json in /etc/vulkan/icd.d, /usr/share/vulkan/icd.d, /usr/local/share/vulkan/icd.d or /usr/local/nvidia")
  fi
fi
if [ "$force" = 1 ] || ! command -v glslc >/dev/null; then
  debs=("$inputs"/debs/glslc/*.deb)
  if [ -f "${debs[0]}" ]; then
    rm -rf "$glslc_root"; mkdir -p "$glslc_root"
    for d in "${debs[@]}"; do run "dpkg-glslc-$(basename "$d")" 60 dpkg -x "$d" "$glslc_root"; [ "$RC" = 0 ] || problems+=("dpkg -x $(basename "$d") failed"); done
    export PATH="$glslc_root/usr/bin:$PATH"
    export LD_LIBRARY_PATH="$glslc_root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    fig glslc_source "unpacked ${#debs[@]} deb(s) into $glslc_root"
  else
    problems+=("no glslc on PATH and no debs in $inputs/debs/glslc")
  fi
fi
run loader-check 20 python3 -c 'import ctypes; ctypes.CDLL("libvulkan.so.1"); print(next(l.split()[-1] for l in open("/proc/self/maps") if "libvulkan.so" in l))'
if [ "$RC" = 0 ]; then fig loader_loads "$(tail -n1 "$work/loader-check.out")"; else problems+=("libvulkan.so.1 does not load: $(tail -n1 "$work/loader-check.err")"); fi
run glslc-version 20 glslc --version
if [ "$RC" = 0 ]; then
  fig glslc "$(command -v glslc): $(head -n1 "$work/glslc-version.out")"
else
  problems+=("glslc --version: $(head -n1 "$work/glslc-version.err")")
fi
fig LD_LIBRARY_PATH "${LD_LIBRARY_PATH:-}"
if [ ${#problems[@]} = 0 ]; then step_end passed; else step_end failed "$(printf '%s; ' "${problems[@]}" | sed 's/; $//')"; fi

# ---------------------------------------------------------------------------------------------------------------
# The synthesised model's synth and builds (step 8) are CPU work of minutes (the q4 build of Llama-3.2-1B is single-
# threaded: ~170 s on a 2-core VM), so with 8 or more cores they start here in the background, the three builds at
# once, while steps 3-7 use the GPU; step 8 waits for them and runs the benches alone. With fewer cores they run one
# after another in step 8. DEVICE_CHECK_PARALLEL=0|1 overrides.
synth_need=30 bench_need=25 concurrency_need=60 invariance_need=50
declare -A build_need=([q4]=150 [q8]=60 [f16]=80)   # seconds each build is expected to take, run alone
parallel="${DEVICE_CHECK_PARALLEL:-$( (( $(nproc) >= 8 )) && echo 1 || echo 0)}"
llama_builds() { # llama_builds MODEL: synth, then the q4, q8 and f16 engines (MODEL/../llama-Q.llmc)
  local model=$1 quant
  run synth 150 "$llmc" synth --config "$config" -o "$model" --dtype bf16
  [ "$RC" = 0 ] || return 0
  for quant in q4 q8 f16; do
    if [ "$parallel" = 1 ]; then
      run "build-$quant" 300 "$llmc" build "$model" --target cuda-sm90 --quant "$quant" -o "$work/llama-$quant.llmc" &
    else
      # One after another, q4 first; once q4 is built, time for the concurrency step is kept back.
      local reserve=0; [ -s "$work/llama-q4.llmc" ] && reserve=$concurrency_need
      if fits $(( ${build_need[$quant]} + bench_need + reserve )); then
        run "build-$quant" 240 "$llmc" build "$model" --target cuda-sm90 --quant "$quant" -o "$work/llama-$quant.llmc"
      else
        echo "time budget" >"$work/build-$quant.budget"
      fi
    fi
  done
  wait
  rm -rf "$model"
}
llama_state=""   # why step 8 does not run, when it does not
llama_t0=""
if [ "${DEVICE_CHECK_SKIP_SYNTH:-0}" = 1 ]; then
  llama_state="DEVICE_CHECK_SKIP_SYNTH=1"
elif [ "$parallel" = 1 ]; then
  echo "(synth and the three builds of step 8 start in the background: their log is in step 8)" >>"$log"; echo >>"$log"
  llama_t0=$(now_ms)
  RUN_LOG="$work/llama-bg.log" llama_builds "$work/synth" &
  llama_pid=$!
fi

# ---------------------------------------------------------------------------------------------------------------
# 3. devices
step_begin devices
run devices 60 "$llmc" devices --json
raw devices "$work/devices.out"
python3 "$py" devices "$work/devices.out" "$RC" "$work/devices.err" "$work/devices.json" | verdict
figm "*" "$work/devices.json"
gpu_index=$(python3 -c 'import json,sys; i=json.load(open(sys.argv[1])).get("gpu_index"); print("" if i is None else i)' "$work/devices.json" 2>/dev/null || true)
if [ -z "$gpu_index" ] && command -v nvidia-smi >/dev/null; then
  # No Vulkan GPU: the loader's own account of the drivers it tried goes into the log, then the NVIDIA ICD file that
  # container images keep under /usr/local/nvidia is tried (the device README's advice).
  run devices-loader-debug 60 env VK_LOADER_DEBUG=error,warn,driver "$llmc" devices
  nv_icd=$(ls /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/local/nvidia/etc/vulkan/icd.d/nvidia_icd.json 2>/dev/null | head -n1 || true)
  if [ -n "$nv_icd" ] && [ "${VK_DRIVER_FILES:-}" != "$nv_icd" ]; then
    export VK_DRIVER_FILES="$nv_icd"
    fig icd_retry "VK_DRIVER_FILES=$nv_icd"
    run devices-retry 60 "$llmc" devices --json
    python3 "$py" devices "$work/devices-retry.out" "$RC" "$work/devices-retry.err" "$work/devices.json" | verdict
    figm "*" "$work/devices.json"
    gpu_index=$(python3 -c 'import json,sys; i=json.load(open(sys.argv[1])).get("gpu_index"); print("" if i is None else i)' "$work/devices.json" 2>/dev/null || true)
  fi
fi
vk_device=(); [ -n "$gpu_index" ] && vk_device=(--device "$gpu_index")
if [ "$V_STATUS" = passed ] && command -v nvidia-smi >/dev/null && [ -z "$gpu_index" ]; then
  V_STATUS=failed V_REASON="nvidia-smi sees a GPU but Vulkan lists none (only CPU devices): the Vulkan steps run on those"
fi
step_end "$V_STATUS" "$V_REASON"

# ---------------------------------------------------------------------------------------------------------------
# 4, 5. selftest (the kernel conformance suite) on CUDA and Vulkan
selftest() { # selftest STEP TARGET NEED_S LIMIT_S [--device N]
  local name=$1 target=$2 need=$3 limit=$4; shift 4
  fits "$need" || { skip_step "$name" "time budget"; return; }
  step_begin "$name"
  run "$name" "$limit" "$llmc" selftest --target "$target" "$@" --json
  raw selftest "$work/$name.out"
  python3 "$py" selftest "$work/$name.out" "$work/$name.err" "$RC" "$LIMIT" "$work/$name.json" | verdict
  figm "*" "$work/$name.json"
  step_end "$V_STATUS" "$V_REASON"
}
selftest selftest-cuda cuda-sm90 60 150
selftest selftest-vulkan vulkan 60 150 "${vk_device[@]}"

# ---------------------------------------------------------------------------------------------------------------
# 6, 7. stories260K: build, then the reference greedy ids (reference-outputs.json: both cases, every id).
refs="$inputs/stories260k-hf/reference-outputs.json"
stories() { # stories STEP TARGET [--device N]
  local name=$1 target=$2; shift 2
  fits 40 || { skip_step "$name" "time budget"; return; }
  step_begin "$name"
  local engine="$work/$name.llmc"
  run "$name-build" 120 "$llmc" build "$inputs/stories260k-hf" --target "$target" -o "$engine"
  fig build_s "$DUR"
  if [ "$RC" != 0 ]; then step_end failed "build: $(python3 "$py" errline "$work/$name-build.err" "$RC" "$LIMIT")"; return; fi
  fig engine_bytes "$(stat -c %s "$engine")"
  local parts=() i=0 prompt max unavailable="" error=""
  for prompt in "" "Once upon a time"; do
    i=$((i + 1))
    max=$(python3 -c 'import json,sys; print(len(next(c for c in json.load(open(sys.argv[1]))["cases"] if c["prompt"] == sys.argv[2])["generated_ids"]))' "$refs" "$prompt")
    run "$name-run$i" 90 "$llmc" run "$engine" --prompt "$prompt" --max-tokens "$max" --temperature 0 --json "$@"
    raw "run$i" "$work/$name-run$i.out"
    python3 "$py" golden "$work/$name-run$i.out" "$work/$name-run$i.err" "$RC" "$refs" "$prompt" "$work/$name-case$i.json" | verdict
    case "$V_STATUS" in
      unavailable) unavailable=$V_REASON; break ;;
      error) error="run (prompt '$prompt'): $V_REASON" ;;
      *) parts+=("$work/$name-case$i.json") ;;
    esac
  done
  if [ -n "$unavailable" ]; then step_end skipped "build passed; run: $unavailable"; return; fi
  if [ -n "$error" ]; then step_end failed "$error"; return; fi
  python3 "$py" golden-sum "$work/$name-golden.json" "${parts[@]}" | verdict
  figm "*" "$work/$name-golden.json"
  step_end "$V_STATUS" "$V_REASON"
}
stories stories-cuda cuda-sm90
stories stories-vulkan vulkan "${vk_device[@]}"

# ---------------------------------------------------------------------------------------------------------------
# 8. llama-1b: random bf16 weights for the config, engines for cuda-sm90 at q4, q8 and f16, and a bench of each
#    (prefill and decode, roofline, the device bandwidth). CUDA graphs need no option: the CUDA executor always
#    replays decode through them (docs/cuda.md).
q4_engine="" f16_engine=""
if [ -n "$llama_state" ]; then
  skip_step llama-1b "$llama_state"
elif [ "$parallel" = 0 ] && ! fits $(( synth_need + ${build_need[q4]} )); then
  llama_state="time budget"; skip_step llama-1b "time budget"
else
  step_begin llama-1b
  fig config "$config"
  if [ "$parallel" = 1 ]; then
    STEP_T0=$llama_t0
    fig builds "synth, then the three builds at once, in the background from step 3 on (overlapping steps 3-7)"
    wait "$llama_pid"
    cat "$work/llama-bg.log" >>"$log" 2>/dev/null
  else
    fig builds "one after another"
    llama_builds "$work/synth"
  fi
  read -r RC DUR LIMIT <"$work/synth.status"
  fig synth_s "$DUR"
  if [ "$RC" != 0 ]; then
    llama_state="synth failed"
    step_end failed "synth: $(python3 "$py" errline "$work/synth.err" "$RC" "$LIMIT")"
  else
    failed=() unavailable="" budget_cut=()
    for quant in q4 q8 f16; do
      engine="$work/llama-$quant.llmc"
      if [ -f "$work/build-$quant.budget" ] || [ ! -f "$work/build-$quant.status" ]; then
        budget_cut+=("build $quant"); continue
      fi
      read -r RC build_s LIMIT <"$work/build-$quant.status"
      if [ "$RC" != 0 ]; then
        failed+=("build $quant: $(python3 "$py" errline "$work/build-$quant.err" "$RC" "$LIMIT")")
        printf '{"quants":{"%s":{"build_s":%s,"bench":"build failed"}}}' "$quant" "$build_s" >"$work/q-$quant.json"
        figm "*" "$work/q-$quant.json"
        continue
      fi
      [ "$quant" = q4 ] && q4_engine=$engine
      [ "$quant" = f16 ] && f16_engine=$engine
      mib=$(python3 -c 'import os,sys; print(round(os.path.getsize(sys.argv[1]) / 2**20, 1))' "$engine")
      reserve=0; [ "$quant" != q4 ] && [ -n "$q4_engine" ] && reserve=$concurrency_need
      if [ -n "$unavailable" ]; then
        bench="skipped"
      elif ! fits $(( bench_need + reserve )); then
        bench="skipped (time budget)"; budget_cut+=("bench $quant")
      else
        run "bench-$quant" 120 "$llmc" bench "$engine" --prompt-tokens 512 --gen-tokens 128 --repeat 3 --json
        raw "bench_$quant" "$work/bench-$quant.out"
        python3 "$py" bench "$work/bench-$quant.out" "$work/bench-$quant.err" "$RC" "$LIMIT" "$work/b-$quant.json" | verdict
        case "$V_STATUS" in
          ok) bench="ran" ;;
          unavailable) unavailable=$V_REASON; bench="skipped" ;;
          *) bench="failed"; failed+=("bench $quant: $V_REASON") ;;
        esac
      fi
      python3 -c '
import json, sys
q, build_s, mib, bench, bfile = sys.argv[1:6]
d = {"build_s": float(build_s), "engine_mib": float(mib), "bench": bench}
try: d.update(json.load(open(bfile)))
except (OSError, ValueError): pass
json.dump({"quants": {q: d}}, open(sys.argv[6], "w"))' "$quant" "$build_s" "$mib" "$bench" "$work/b-$quant.json" "$work/q-$quant.json"
      figm "*" "$work/q-$quant.json"
      # Keep the disk free: only the q4 and f16 engines are needed after their benches (steps 9 and 10).
      [ "$quant" = q4 ] || [ "$quant" = f16 ] || rm -f "$engine"
    done
    [ ${#budget_cut[@]} = 0 ] || fig not_run "time budget: ${budget_cut[*]}"
    if [ ${#failed[@]} != 0 ]; then
      step_end failed "$(printf '%s; ' "${failed[@]}" | sed 's/; $//')"
    elif [ -n "$unavailable" ]; then
      step_end skipped "synth and builds passed; bench: $unavailable"
    elif [ ${#budget_cut[@]} != 0 ]; then
      step_end skipped "time budget (not run: ${budget_cut[*]})"
    else
      step_end passed
    fi
  fi
fi

# ---------------------------------------------------------------------------------------------------------------
# 9. concurrency: the q4 engine serving 1, 16 and 64 requests at once, each request's ids checked against a run alone.
if [ -z "$q4_engine" ]; then
  skip_step concurrency "no q4 engine (llama-1b: ${llama_state:-no q4 engine was built})"
elif ! fits "$concurrency_need"; then
  skip_step concurrency "time budget"
else
  step_begin concurrency
  run concurrency 150 "$llmc" bench "$q4_engine" --prompt-tokens 128 --gen-tokens 64 --repeat 1 --concurrency 1,16,64 --verify --json
  raw bench "$work/concurrency.out"
  python3 "$py" concurrency "$work/concurrency.out" "$work/concurrency.err" "$RC" "$LIMIT" "$work/concurrency.json" | verdict
  figm "*" "$work/concurrency.json"
  step_end "$V_STATUS" "$V_REASON"
fi

# ---------------------------------------------------------------------------------------------------------------
# 10. f16-invariance: the f16 engine serving 16 requests, each checked against a run alone, as loaded by default
#     (tensor-core prefill rounds apart from decode: how many differ is a figure) and with --batch-invariant (none may).
if [ -z "$f16_engine" ]; then
  skip_step f16-invariance "no f16 engine (llama-1b: ${llama_state:-no f16 engine was built})"
elif ! fits "$invariance_need"; then
  skip_step f16-invariance "time budget"
else
  step_begin f16-invariance
  for mode in default batch-invariant; do
    flag=(); [ "$mode" = batch-invariant ] && flag=(--batch-invariant)
    run "invariance-$mode" 90 "$llmc" bench "$f16_engine" --prompt-tokens 64 --gen-tokens 32 --repeat 1 --concurrency 16 --verify "${flag[@]}" --json
    raw "bench_$mode" "$work/invariance-$mode.out"
  done
  read -r RC1 _ LIMIT1 <"$work/invariance-default.status"
  read -r RC2 _ LIMIT2 <"$work/invariance-batch-invariant.status"
  python3 "$py" invariance "$work/invariance-default.out" "$work/invariance-default.err" "$RC1" "$LIMIT1" \
    "$work/invariance-batch-invariant.out" "$work/invariance-batch-invariant.err" "$RC2" "$LIMIT2" "$work/invariance.json" | verdict
  figm "*" "$work/invariance.json"
  step_end "$V_STATUS" "$V_REASON"
fi

write_report 1
echo "device check finished in $(secs "$(elapsed_ms)") s: $report/report.md" >&2
cat "$report/report.md"
exit 0
