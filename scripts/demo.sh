#!/usr/bin/env bash
# The demo: an SMA-crossover agent trades a built-in scenario and prints its results table.
# Usage: bash scripts/demo.sh [scenario-slug]   (slugs: see the README)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release --locked -q -p vectrade-core --example demo -- "$@"
