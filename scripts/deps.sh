#!/usr/bin/env bash
# deps.sh — install the system packages parq needs to build and test (Debian/Ubuntu).
# Idempotent: when every package is already installed it returns without touching apt,
# so it is cheap to run on a ready machine (CI runs it every time).
set -euo pipefail

PKGS=(build-essential cmake pkg-config clang libzstd-dev libsnappy-dev liblz4-dev libbrotli-dev
      libxxhash-dev libdeflate-dev zlib1g-dev libpng-dev openmpi-bin libopenmpi-dev zstd)
# Node is only needed for the interop tests; take the distro one only if none is present
# (a newer node from elsewhere is fine and must not be replaced).
if ! command -v node >/dev/null 2>&1; then PKGS+=(nodejs); fi
if ! command -v npm >/dev/null 2>&1; then PKGS+=(npm); fi

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg -s "$p" >/dev/null 2>&1; then missing+=("$p"); fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#PKGS[@]} packages already installed"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "deps: apt-get not found; please install: ${missing[*]}" >&2
  exit 1
fi
SUDO=()
if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo); fi
export DEBIAN_FRONTEND=noninteractive

echo "deps: installing ${missing[*]}"
# Refresh the package lists only when they are absent or older than a day, or when a
# first install attempt fails (stale lists on a long-lived machine).
lists=(/var/lib/apt/lists/*_Packages)
if [ ! -e "${lists[0]}" ] || [ -n "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages' -mtime +1 -print -quit)" ]; then
  "${SUDO[@]}" apt-get update -q
fi
if ! "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null; then
  "${SUDO[@]}" apt-get update -q
  "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
fi
echo "deps: done"
