#!/usr/bin/env bash
# Prepares everything tools/device-check.sh needs on the GPU machine (no .NET, no network there), on this machine
# (Debian, with Debian's mirrors and NuGet). Idempotent: each run replaces what the last one wrote.
#
#   tools/prepare-device-check.sh
#
#   artifacts/portable/llmc                       self-contained single-file llmc (tools/publish-portable.sh)
#   artifacts/device/debs/loader/*.deb            Vulkan loader (libvulkan1) and glvnd, unpacked into / there when it has no loader
#   artifacts/device/debs/glslc/*.deb             glslc + libshaderc1, unpacked into /tmp/llmc-glslc there when needed
#   artifacts/device/stories260k-hf/              the golden-output model (../shared does not travel)
#
# LLMC_SHARED names another shared folder (default: ../shared beside the repository).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
shared="${LLMC_SHARED:-$root/../shared}"
device=artifacts/device
# The device call carries at most 64 MiB; keep 1 MiB for the working tree to grow into.
limit_mib=63

git check-ignore -q artifacts/portable/llmc && git check-ignore -q "$device/x" \
  || { echo "prepare-device-check: artifacts/ must be git-ignored (it is carried, not sent as part of the tree)" >&2; exit 1; }
[ -f "$shared/models/stories260k-hf/reference-outputs.json" ] \
  || { echo "prepare-device-check: $shared/models/stories260k-hf not found (set LLMC_SHARED)" >&2; exit 1; }

echo "== (a) portable llmc"
bash tools/publish-portable.sh artifacts/portable

echo "== (b) Debian packages for the device machine"
# Debian 12 amd64 builds: glslc and libshaderc need glibc >= 2.34 and libstdc++ (GLIBCXX_3.4.29), which a current
# Ubuntu/CUDA image has; libvulkan1 needs only libc. Their other dependencies (libc6, libgcc-s1, libstdc++6) are there.
lists=/tmp/amd64
mkdir -p "$lists/partial"
apt=(apt-get -q -oAPT::Architecture=amd64 -oAPT::Architectures=amd64 "-oDir::State::Lists=$lists")
"${apt[@]}" update >/dev/null
download() { # download FOLDER PACKAGE...: replaces FOLDER with exactly these packages' .debs
  local dir=$1; shift
  local tmp="$dir.partial"
  rm -rf "$tmp"; mkdir -p "$tmp"
  (cd "$tmp" && "${apt[@]}" download "$@" 2>&1 | grep -v -e '^W: Download is performed unsandboxed' -e '^Get:' -e '^Fetched' || true)
  for p in "$@"; do
    compgen -G "$tmp/${p}_*.deb" >/dev/null || { echo "prepare-device-check: apt-get download $p gave no .deb" >&2; exit 1; }
  done
  rm -rf "$dir"; mv "$tmp" "$dir"
  ls "$dir"
}
mkdir -p "$device/debs"
# The loader, and the GL vendor-neutral dispatch libraries (glvnd) the NVIDIA Vulkan driver (libGLX_nvidia) loads
# through: without them the loader finds the driver's ICD file but no device (seen on the H200 image).
download "$device/debs/loader" libvulkan1 libglvnd0 libglx0 libegl1 libgl1 libgles2 libopengl0
download "$device/debs/glslc" glslc libshaderc1

echo "== (c) model files from $shared"
rm -rf "$device/stories260k-hf"
cp -r "$shared/models/stories260k-hf" "$device/stories260k-hf"
chmod -R u+w "$device/stories260k-hf"   # ../shared is read-only; the copy must stay removable
ls "$device/stories260k-hf"

echo "== size"
python3 - "$limit_mib" <<'PY'
import os, subprocess, sys
limit = float(sys.argv[1])
def tree(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs if not os.path.islink(os.path.join(d, f)))
listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], capture_output=True, check=True).stdout
files = [p for p in listed.decode().split("\0") if p and os.path.isfile(p) and not os.path.islink(p)]
mib = lambda b: b / 2**20
sizes = {"working tree (tracked + untracked, not ignored)": sum(os.path.getsize(p) for p in files),
         "artifacts/portable": tree("artifacts/portable"), "artifacts/device": tree("artifacts/device")}
for name, b in sizes.items():
    print(f"  {name:<50} {mib(b):6.1f} MiB")
total = sum(sizes.values())
print(f"  {'travels in all':<50} {mib(total):6.1f} MiB (limit here {limit:.0f}, the device call's 64)")
print(f"  {'artifacts/ (all of it, not all carried)':<50} {mib(tree('artifacts')):6.1f} MiB")
if mib(total) > limit:
    print(f"prepare-device-check: FAILED: {mib(total):.1f} MiB would travel, over the {limit:.0f} MiB this check allows", file=sys.stderr)
    sys.exit(1)
PY

cat <<'EOF'
== ready. The device call (the run tool; the script stops itself within 8 minutes):
  command:   bash tools/device-check.sh
  carry:     ["artifacts/portable","artifacts/device"]
  timeout_s: 540
The report (report.md, report.json, log.txt) comes back from $OUT.
EOF
