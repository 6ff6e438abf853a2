#!/usr/bin/env bash
# Runs every cargo-fuzz target of fuzz/ for a bounded time and prints its case count:
#   scripts/fuzz.sh [seconds per target, default 20] [target ...]
# Installs cargo-fuzz 0.13.2 when missing; runs on the stable toolchain (RUSTC_BOOTSTRAP lets
# cargo-fuzz use the sanitizer flags). The committed corpus (fuzz/corpus/<target>) seeds each run
# and is not written to: new inputs go to a temporary directory. A crash leaves its input in
# fuzz/artifacts/<target>/ and fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-20}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(csv wire_json run_actions)

if ! cargo fuzz --version 2>/dev/null | grep -q '0\.13\.2'; then
    echo "==> installing cargo-fuzz 0.13.2"
    cargo install cargo-fuzz --version 0.13.2 --locked
fi

export RUSTC_BOOTSTRAP=1
cd fuzz
echo "==> building the fuzz targets (sanitizer build)"
cargo fuzz build >/dev/null

status=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for target in "${targets[@]}"; do
    mkdir -p "$work/$target"
    log="$work/$target.log"
    if cargo fuzz run "$target" "$work/$target" "corpus/$target" -- -max_total_time="$seconds" >"$log" 2>&1; then
        crashes=0
    else
        crashes=1
        status=1
        grep -E "panicked at|ERROR: libFuzzer|Test unit written" "$log" | head -5 >&2 || tail -20 "$log" >&2
    fi
    cases=$(grep -Eo 'Done [0-9]+ runs' "$log" | awk '{print $2}' | tail -1 || true)
    echo "fuzz $target: ${cases:-0} cases, $crashes crashes"
done
exit "$status"
