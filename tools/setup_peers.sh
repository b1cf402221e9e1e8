#!/usr/bin/env bash
# The benchmark peers of benchmarks/bench_selection.py: R with mclust (Debian packages). Benchmark only, never a
# runtime dependency of gmmlab. Idempotent; without root (or apt) it says so and the benchmark skips mclust.
set -euo pipefail
if command -v Rscript >/dev/null && Rscript -e 'library(mclust)' >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "setup_peers: R with mclust is missing and cannot be installed here (needs root and apt-get);" \
       "bench_selection.py will skip mclust." >&2
  exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq r-base-core r-cran-mclust >/dev/null
