#!/usr/bin/env bash
# Every test of the repository, exactly as CI runs it (`.ci/run` calls this file).
# Needs only a Rust toolchain installed by rustup; everything else it installs itself.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "toolchain: rustfmt, clippy and the wasm32 target"
rustup component add rustfmt clippy >/dev/null 2>&1 || true
rustup target add wasm32-unknown-unknown

step "format (cargo fmt --check)"
cargo fmt --all -- --check

step "lint (cargo clippy -D warnings, all targets)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "tests: unit, fill rules, risk checks, runs, properties, golden vectors"
log=$(mktemp)
cargo test --workspace --locked 2>&1 | tee "$log"
passed=$(grep -Eo 'test result: [a-z]+\. [0-9]+ passed' "$log" | awk '{s+=$4} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s+=$1} END {print s+0}')
rm -f "$log"

step "server on PostgreSQL: the server's integration tests again, on a real PostgreSQL (Debian's package)"
source scripts/postgres.sh
start_postgres
log=$(mktemp)
VECTRADE_TEST_POSTGRES="$postgres_url" cargo test --locked -p vectrade-server --test '*' 2>&1 | tee "$log"
pgpassed=$(grep -Eo 'test result: [a-z]+\. [0-9]+ passed' "$log" | awk '{s+=$4} END {print s+0}')
pgfailed=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s+=$1} END {print s+0}')
rm -f "$log"
stop_postgres
[ "$pgfailed" = 0 ] && [ "$pgpassed" -gt 0 ] || { echo "server tests on PostgreSQL failed" >&2; exit 1; }

step "server: the README's curl examples (server/examples/*.sh) against the real server"
python3 - <<'PY'
import re, sys
readme = open("README.md").read()
blocks = re.findall(r"<!-- START ([\w-]+) -->\n```sh\n(.*?)```\n<!-- END \1 -->", readme, re.S)
names = [name for name, _ in blocks]
for name in ("bottrade-loop", "bot-and-agents"):
    if name not in names:
        sys.exit(f"README lacks the {name} example")
for name, text in blocks:
    if text != open(f"server/examples/{name}.sh").read():
        sys.exit(f"README's {name} example differs from server/examples/{name}.sh")
PY
cargo build --locked -q -p vectrade-server
# The binary the Node client tests start (sdk-ts/test/client-server.ts), wherever cargo puts it.
server_bin="$PWD/target/debug/vectrade-server"
case "${CARGO_TARGET_DIR:-}" in /*) server_bin="$CARGO_TARGET_DIR/debug/vectrade-server" ;; ?*) server_bin="$PWD/$CARGO_TARGET_DIR/debug/vectrade-server" ;; esac
source scripts/local-server.sh
start_server "$server_bin"
out=$(BASE="$base" KEY="$key" bash server/examples/bottrade-loop.sh)
printf '%s\n' "$out" | tail -n 2 | cut -c1-160
grep -q "final_equity" <<<"$out" || { echo "the curl loop printed no results" >&2; exit 1; }
out=$(BASE="$base" OPERATOR="$operator" bash server/examples/bot-and-agents.sh)
printf '%s\n' "$out"
[ "$(printf '%s\n' "$out" | tr '\n' ' ')" = "OPEN 2024-04-01T14:30:00Z 10.00000000 5000.00 max_position_size_exceeded 1 " ] \
  || { echo "the bot and agents example printed something else" >&2; exit 1; }
stop_server

step "python: pip install ./sdk-py (maturin builds vectrade._native) into .venv, then pytest"
python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check "maturin==1.16.0" "pytest>=8" hypothesis mypy numpy pandas pyarrow httpx==0.28.1 backtesting empyrical-reloaded vectorbt==1.2.0 ray==2.60.0
.venv/bin/pip install -q --disable-pip-version-check ./sdk-py
pylog=$(mktemp)
(cd sdk-py && ../.venv/bin/python -m pytest -q -p no:cacheprovider) 2>&1 | tee "$pylog"
pypassed=$(grep -Eo '[0-9]+ passed' "$pylog" | tail -n 1 | awk '{print $1+0}')
rm -f "$pylog"

step "python typing: the .pyi stubs match the compiled module (mypy.stubtest); package, tests, benchmarks type-check"
(cd "$(mktemp -d)" && "$OLDPWD/.venv/bin/python" -m mypy.stubtest vectrade._native)
(cd sdk-py && ../.venv/bin/python -m mypy python/vectrade tests benchmarks --ignore-missing-imports)

step "python: a panic inside the engine is InternalError (the module built with the test-hooks feature, installed apart)"
hooks=$(mktemp -d)
MATURIN_PEP517_ARGS="--features test-hooks" .venv/bin/pip install -q --disable-pip-version-check --no-deps --target "$hooks" ./sdk-py
(cd sdk-py && PYTHONPATH="$hooks" VECTRADE_TEST_HOOKS=1 ../.venv/bin/python -m pytest -q -p no:cacheprovider tests/test_internal_error.py)
rm -rf "$hooks"

step "server: schemathesis fuzzes the running server from server/openapi.json (no 5xx, responses as documented)"
bash scripts/fuzz-api.sh 25

step "chromium for the playground's end-to-end test (Debian's package)"
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
/usr/bin/chromium --version 2>/dev/null | head -n 1 || true

step "node: npm install, build the addon (napi), the WebAssembly build and the TypeScript layer, type-check, node --test"
# npm run build installs the wasm32 target and wasm-bindgen-cli at the locked version when missing.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  # A fresh Debian machine: Node.js from the distribution (18+).
  apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' \
  || { echo "Node.js 18 or later is needed, found $(node --version)" >&2; exit 1; }
(cd sdk-ts && npm install --no-audit --no-fund --loglevel=error && npm run build && npm run typecheck)
nodelog=$(mktemp)
(cd sdk-ts && VECTRADE_SERVER_BIN="$server_bin" npm test) 2>&1 | tee "$nodelog"
# node --test's summary: "ℹ pass N" (spec reporter) or "# pass N" (TAP).
nodepassed=$(grep -Eo '^(ℹ|#) pass [0-9]+' "$nodelog" | tail -n 1 | awk '{print $3+0}')
nodefailed=$(grep -Eo '^(ℹ|#) fail [0-9]+' "$nodelog" | tail -n 1 | awk '{print $3+0}')
rm -f "$nodelog"
[ -n "$nodepassed" ] && [ "$nodefailed" = 0 ] || { echo "node tests failed (passed: ${nodepassed:-?}, failed: ${nodefailed:-?})" >&2; exit 1; }
(cd sdk-ts && node build-test/examples/quickstart.js | tail -n 2)
# As a user installs it: the packed tarball into an empty project, then import it.
consumer=$(mktemp -d)
tarball=$(cd sdk-ts && npm pack --silent --pack-destination "$consumer" | tail -n 1)
(cd "$consumer" && npm init -y >/dev/null && npm install --no-audit --no-fund --loglevel=error "./$tarball" \
  && node --input-type=module -e "import * as vt from '@vectrade/sdk';
    const bt = vt.backtest(() => {}, vt.scenarios.get('sideways-etfs'));
    if (!(new vt.InvalidInput('invalid_argument', 'x', 'invalid_input') instanceof vt.VecTradeError)) process.exit(1);
    console.log('installed package works: engine', vt.engineVersion(), 'final equity', bt.results.finalEquity);" \
  && node --input-type=module -e "import { readFileSync } from 'node:fs';
    import * as vt from '@vectrade/sdk/browser';
    await vt.load(readFileSync('node_modules/@vectrade/sdk/wasm/vectrade_bg.wasm'));
    const bt = vt.backtest(() => {}, vt.scenarios.get('sideways-etfs'));
    console.log('installed WebAssembly build works: final equity', bt.results.finalEquity);")
rm -rf "$consumer"
(cd sdk-ts && node --expose-gc build-test/bench/bench.js 20000 >/dev/null)

step "mcp server: npm install and build mcp-server/ (@vectrade/mcp-server on the SDK just built), then the official MCP clients drive it"
(cd mcp-server && npm install --no-audit --no-fund --loglevel=error && npm run build)
# The official TypeScript SDK client over stdio and Streamable HTTP, offline and on the real local server.
mcplog=$(mktemp)
(cd mcp-server && VECTRADE_SERVER_BIN="$server_bin" npm test) 2>&1 | tee "$mcplog"
mcppassed=$(grep -Eo '^(ℹ|#) pass [0-9]+' "$mcplog" | tail -n 1 | awk '{print $3+0}')
mcpfailed=$(grep -Eo '^(ℹ|#) fail [0-9]+' "$mcplog" | tail -n 1 | awk '{print $3+0}')
rm -f "$mcplog"
[ -n "$mcppassed" ] && [ "$mcpfailed" = 0 ] || { echo "mcp server tests failed (passed: ${mcppassed:-?}, failed: ${mcpfailed:-?})" >&2; exit 1; }
# The official Python SDK's client (PyPI mcp), the same paths.
.venv/bin/pip install -q --disable-pip-version-check "mcp==2.3.0"
mcppylog=$(mktemp)
(cd mcp-server && VECTRADE_SERVER_BIN="$server_bin" ../.venv/bin/python -m pytest -q -p no:cacheprovider test-py) 2>&1 | tee "$mcppylog"
mcppypassed=$(grep -Eo '[0-9]+ passed' "$mcppylog" | tail -n 1 | awk '{print $1+0}')
rm -f "$mcppylog"
# As a user installs it: both packed tarballs into an empty project; `npx mcp-server` (the bin that
# `npx @vectrade/mcp-server` runs) answers a smoke test over stdio, offline.
consumer=$(mktemp -d)
sdktgz=$(cd sdk-ts && npm pack --silent --pack-destination "$consumer" | tail -n 1)
mcptgz=$(cd mcp-server && npm pack --silent --pack-destination "$consumer" | tail -n 1)
out=$(cd "$consumer" && npm init -y >/dev/null && npm install --no-audit --no-fund --loglevel=error "./$sdktgz" "./$mcptgz" >/dev/null \
  && printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"sh","version":"1"}}}' \
    '{"jsonrpc":"2.0","method":"notifications/initialized"}' \
    '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"run_sandbox_smoke_test","arguments":{}}}' \
  | timeout 60 npx --no-install mcp-server --offline 2>/dev/null || true)
rm -rf "$consumer"
grep -q '"ok":true,"backend":"offline"' <<<"$out" || { echo "the installed MCP server did not pass its smoke test: $out" >&2; exit 1; }
echo "installed MCP server works: npx mcp-server --offline passed run_sandbox_smoke_test"

step "fuzzing: the cargo-fuzz targets (CSV, every JSON entry point, runs driven by arbitrary actions), 20 s each"
bash scripts/fuzz.sh 20

step "the core builds for WebAssembly (no I/O, no clock)"
cargo build -p vectrade-core --target wasm32-unknown-unknown --locked

step "the README's demo command runs (Python: SMA crossover, results table, HTML report)"
out=$(bash scripts/demo.sh)
printf '%s\n' "$out" | tail -n 16
for want in "Results(" "Sharpe" "max drawdown" "benchmark return" "report: "; do
  grep -q "$want" <<<"$out" || { echo "demo output lacks '$want'" >&2; exit 1; }
done
test -s vectrade-report.html

step "the Rust demo example runs and prints its results table"
out=$(cargo run --release --locked -q -p vectrade-core --example demo)
for want in "final equity" "Sharpe (annualised)" "max drawdown" "benchmark return"; do
  grep -q "$want" <<<"$out" || { echo "Rust demo output lacks '$want'" >&2; exit 1; }
done

step "the README's tour example runs to the end"
cargo run --release --locked -q -p vectrade-core --example tour | tail -n 1

step "benchmarks compile and run once (cargo bench -- --test)"
cargo bench --locked -p vectrade-core --bench engine -- --test

echo
echo "all checks passed"
echo "rust: $passed passed, $failed failed (and the server's $pgpassed integration tests again on PostgreSQL)"
echo "python: $pypassed passed, 0 failed"
echo "node: $nodepassed passed, $nodefailed failed"
echo "mcp server: $mcppassed passed with the TypeScript MCP client, $mcppypassed with the Python one, 0 failed"
echo "total: $((passed + pypassed + nodepassed + mcppassed + mcppypassed)) passed, $failed failed"
