#!/usr/bin/env bash
# Debian's Chromium for the report's browser test (no browser downloads by Python packages).
# Run as root on a fresh CI machine; does nothing when chromium is already installed.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
chromium --version
