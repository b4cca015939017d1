#!/usr/bin/env bash
# Installs the Debian packages bp-pipeline builds and runs against (needs root or sudo).
# Idempotent: installs only what is missing, so CI and repeated runs are fast.
set -euo pipefail
packages=(
  pkg-config
  libyaml-dev          # spec parsing (CYaml)
  libpng-dev           # PNG encoding (CPNG)
  libcairo2-dev        # chart drawing (CCairo)
  libopenblas-dev      # matrix products (CBLAS)
  zlib1g-dev           # gzip-compressed IDX files (CZlib)
  libopenmpi-dev       # data-parallel training under mpirun/srun (CMPI)
  openmpi-bin          # mpirun, for the multi-process tests
  fonts-dejavu-core    # chart text (DejaVu Sans through fontconfig)
  dataset-fashion-mnist  # /usr/share/datasets/fashion-mnist for Pipelines/fashion-mnist.yaml
  python3-jsonschema   # tests only: a draft-07 validator for `bp-pipeline schema` (pulls in python3)
  python3-numpy        # tests only: an independent reader of model.safetensors (SafetensorsTests)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "system packages: ok (${#missing[@]} installed now)"
