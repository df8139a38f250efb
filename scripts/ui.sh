#!/usr/bin/env bash
# `make ui`: a local Prefect server on 127.0.0.1 (UI at http://127.0.0.1:$PORT) plus the audit
# deployment served on its schedule. Ctrl-C stops both; the server is stopped by its PID.
set -euo pipefail
PORT="${SYNTHSCOPE_UI_PORT:-4200}"
CONFIG="${CONFIG:-configs/demo.yaml}"
CRON="${CRON:-0 3 * * *}"
mkdir -p "${PREFECT_HOME:-.prefect}"
LOG="${PREFECT_HOME:-.prefect}/server.log"
export PREFECT_API_URL="http://127.0.0.1:${PORT}/api"
export PREFECT_UI_URL="http://127.0.0.1:${PORT}"
prefect server start --host 127.0.0.1 --port "$PORT" >"$LOG" 2>&1 &
SERVER_PID=$!
trap 'kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  if python - "$PREFECT_API_URL/health" <<'PY' 2>/dev/null; then break; fi
import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=1)
PY
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "prefect server exited; see $LOG" >&2; exit 1; }
  sleep 0.5
done
echo "Prefect UI: $PREFECT_UI_URL (server PID $SERVER_PID, log $LOG)"
test -d data/demo/synthetic || synthscope demo --out data/demo
echo "serving the audit of $CONFIG on cron '$CRON'; trigger a run from the UI (Deployments) or wait"
synthscope serve --config "$CONFIG" --cron "$CRON"
