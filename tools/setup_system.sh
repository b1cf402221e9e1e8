#!/usr/bin/env bash
# Installs the Debian packages gmmlab needs, only those missing, with one `apt-get update` at most.
# Usage: tools/setup_system.sh [--browser]   (--browser adds chromium for the report's browser test)
set -euo pipefail
missing=()
data_dir="${GMMLAB_DATA_DIR:-/usr/share/datasets/fashion-mnist}"
if [ ! -e "$data_dir/train-images-idx3-ubyte.gz" ] && [ ! -e "$data_dir/train-images-idx3-ubyte" ]; then
  missing+=(dataset-fashion-mnist)
fi
if [ "${1:-}" = "--browser" ] && ! command -v chromium >/dev/null 2>&1; then
  missing+=(chromium)
fi
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "gmmlab set-up needs these Debian packages: ${missing[*]}; run as root or: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
