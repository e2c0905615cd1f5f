#!/usr/bin/env bash
# Publishes a self-contained linux-x64 single-file llmc that runs without a .NET install, then prints its size and
# the median start-up time of `llmc --version` (5 runs) against the framework-dependent build.
#
#   tools/publish-portable.sh [out-dir]        (default: artifacts/portable; the file is out-dir/llmc)
#
# Every assembly is extracted on first run (IncludeAllContentForSelfExtract) into $DOTNET_BUNDLE_EXTRACT_BASE_DIR
# (default ~/.net): the CPU targets compile kernels with Roslyn against the framework assemblies listed in
# TRUSTED_PLATFORM_ASSEMBLIES, which must be files on disk. Not trimmed: see docs/device-check.md.
# PUBLISH_PORTABLE_SKIP_TIMING=1 skips the start-up measurement (and the framework-dependent build it needs).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(realpath -m "${1:-$root/artifacts/portable}")"
staging="$out.partial"

# Nothing stale or half-written stays behind: the old output goes first, the new one appears only when complete.
rm -rf "$out" "$staging"
trap 'rm -rf "$staging"' EXIT

echo "publishing the portable llmc into $out"
log="$(mktemp)"
if ! dotnet publish "$root/tools/llmc/llmc.csproj" -c Release -r linux-x64 --self-contained true \
    -p:PublishSingleFile=true -p:EnableCompressionInSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=true \
    -p:IncludeAllContentForSelfExtract=true -p:DebugType=none -o "$staging" -nologo -v quiet >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  echo "publish-portable: dotnet publish failed" >&2
  exit 1
fi
rm -f "$log"
[ -x "$staging/llmc" ] || { echo "publish-portable: dotnet publish wrote no $staging/llmc" >&2; exit 1; }
# The bundle must start (extracting into a throw-away folder) before it replaces anything.
probe="$(mktemp -d)"
if ! version="$(DOTNET_BUNDLE_EXTRACT_BASE_DIR="$probe" "$staging/llmc" --version)"; then
  rm -rf "$probe"
  echo "publish-portable: the published llmc does not start" >&2
  exit 1
fi
rm -rf "$probe"
mv "$staging" "$out"
trap - EXIT

bytes=$(stat -c %s "$out/llmc")
python3 -c 'import sys; print(f"portable llmc {sys.argv[2]}: {sys.argv[1]}, {int(sys.argv[3]) / 2**20:.1f} MiB ({int(sys.argv[3]):,} bytes)")' \
  "$out/llmc" "$version" "$bytes"

[ "${PUBLISH_PORTABLE_SKIP_TIMING:-0}" = 1 ] && exit 0

# The framework-dependent build: tools/llmc/bin/Release/net10.0 (apphost llmc and llmc.dll).
log="$(mktemp)"
if ! dotnet build "$root/tools/llmc/llmc.csproj" -c Release -nologo -v quiet >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  echo "publish-portable: the framework-dependent build failed (the portable file is in place)" >&2
  exit 1
fi
rm -f "$log"
fd="$root/tools/llmc/bin/Release/net10.0"

# Median wall time of `--version` over 5 runs, after one untimed run; the portable file's first run of all (which
# extracts the bundle into an empty folder) is reported on its own.
python3 - "$out/llmc" "$fd/llmc" "$fd/llmc.dll" <<'PY'
import os, statistics, subprocess, sys, tempfile, time

portable, apphost, dll = sys.argv[1:4]

def once(cmd, env):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env)
    return time.perf_counter() - t

def median(cmd, env=None):
    env = env or os.environ.copy()
    once(cmd, env)
    return statistics.median(once(cmd, env) for _ in range(5))

with tempfile.TemporaryDirectory() as extract:
    env = dict(os.environ, DOTNET_BUNDLE_EXTRACT_BASE_DIR=extract)
    first = once([portable, "--version"], env)
    rows = [("portable single file (first run, extracting)", first),
            ("portable single file", median([portable, "--version"], env))]
rows += [("framework-dependent apphost", median([apphost, "--version"])),
         ("framework-dependent: dotnet llmc.dll", median(["dotnet", dll, "--version"]))]
print("start-up, llmc --version (median of 5 runs after a warm-up):")
for name, seconds in rows:
    print(f"  {name:<46} {seconds * 1000:7.0f} ms")
PY
