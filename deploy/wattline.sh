#!/usr/bin/env bash
# Runs the wattline command from a fresh clone: installs the locked npm dependencies first when they are missing or stale.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
exec node bin/wattline.js "$@"
