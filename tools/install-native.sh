#!/usr/bin/env bash
# Installs the native pieces the targets and tests use, from Debian, when any is missing (a no-op otherwise):
# NVRTC (Debian's non-free component) compiles CUDA kernels without a GPU; glslc compiles Vulkan shaders; Mesa's
# lavapipe is a Vulkan device on the CPU, so Vulkan kernels run on any machine; Chromium runs the chat page's browser test
# (Playwright drives it by path: Playwright's own browser download does not work on these machines).
set -euo pipefail
packages=(libnvrtc11.2 libnvrtc-builtins11.8 glslc libvulkan1 mesa-vulkan-drivers chromium)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null; then
  echo "missing native packages (${missing[*]}) and no apt-get to install them: install their equivalents by hand" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing native packages: ${missing[*]}" >&2
sources=/etc/apt/sources.list.d/debian.sources
if [ -f "$sources" ] && ! grep -qE '^Components:.*non-free( |$)' "$sources"; then
  $sudo sed -i -E 's/^(Components:.*main)( |$)/\1 contrib non-free\2/' "$sources"
elif [ -f /etc/apt/sources.list ] && ! grep -q 'non-free' /etc/apt/sources.list; then
  $sudo sed -i -E 's/^(deb .* main)$/\1 contrib non-free/' /etc/apt/sources.list
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
