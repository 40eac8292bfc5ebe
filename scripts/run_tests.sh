#!/usr/bin/env bash
# Run every check CI runs: ruff, mypy, import contracts, then the pytest suite (offscreen Qt).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=".venv"
export QT_QPA_PLATFORM=offscreen

echo "== ruff"
"$venv/bin/ruff" check .
"$venv/bin/ruff" format --check .
echo "== mypy"
"$venv/bin/mypy"
echo "== import contracts"
"$venv/bin/lint-imports"
echo "== pytest (SQLite always; PostgreSQL too when a server can be started)"
scripts/with_postgres.sh "$venv/bin/python" -m pytest "$@"
