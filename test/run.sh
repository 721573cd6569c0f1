#!/usr/bin/env bash
# The test command. `unit` runs only the pure tests (no services); `faults` only the fault-injection run (about 2.5
# minutes, a stack of its own); otherwise the local stack is started (installing what is missing), every other test
# runs against it, and the stack is stopped again if this run started it.
set -euo pipefail
cd "$(dirname "$0")/.."
wattline=deploy/wattline.sh
mode="${1:-all}"
faults=test/integration/stack/faults.test.ts
if [ "$mode" = unit ]; then
  "$wattline" --version >/dev/null
  mapfile -t files < <(find test/unit -name '*.test.ts' | sort)
elif [ "$mode" = faults ]; then
  "$wattline" --version >/dev/null
  files=("$faults")
else
  started=0
  "$wattline" stack status --quiet || started=1
  "$wattline" stack up
  if [ "$started" = 1 ]; then trap '"$wattline" stack down' EXIT; fi
  mapfile -t files < <(find test -name '*.test.ts' ! -path "$faults" | sort)
fi
out="$(mktemp)"
status=0
# A test that hangs fails after 5 minutes instead of holding CI to its limit.
node --import tsx --test --test-concurrency=1 --test-force-exit --test-timeout=300000 --test-reporter=spec "${files[@]}" | tee "$out" || status=$?
# The plain closing line CI reads, from the runner's own totals.
echo "$(sed -n 's/^ℹ pass //p' "$out") passed, $(sed -n 's/^ℹ fail //p' "$out") failed"
rm -f "$out"
exit "$status"
