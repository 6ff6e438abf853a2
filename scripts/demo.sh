#!/usr/bin/env bash
# The demo: builds the Python package into .venv, runs an SMA-crossover strategy on a built-in
# scenario, prints the results table and writes an HTML report.
# Usage: bash scripts/demo.sh [scenario-slug]   (slugs: `bash scripts/demo.sh --list`)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
.venv/bin/pip install -q --disable-pip-version-check ./sdk-py
if [ "${1:-}" = "--list" ]; then exec .venv/bin/vectrade scenarios; fi
exec .venv/bin/vectrade demo --scenario "${1:-tech-2024-q2}" --report vectrade-report.html
