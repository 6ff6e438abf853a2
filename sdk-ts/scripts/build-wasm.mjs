// `npm run build:wasm`: the WebAssembly build of the engine into sdk-ts/wasm/. Installs what it
// needs when missing — the wasm32 target (rustup) and wasm-bindgen-cli at exactly the version of
// the wasm-bindgen crate in Cargo.lock (the first time: a few minutes of `cargo install`).

import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const run = (cmd, args) => execFileSync(cmd, args, { cwd: repo, stdio: "inherit" });

const lock = readFileSync(new URL("Cargo.lock", `file://${repo}`), "utf8");
const want = /\[\[package\]\]\nname = "wasm-bindgen"\nversion = "([^"]+)"/.exec(lock)?.[1];
if (!want) throw new Error("Cargo.lock has no wasm-bindgen package");

run("rustup", ["target", "add", "wasm32-unknown-unknown"]);
const have = spawnSync("wasm-bindgen", ["--version"], { encoding: "utf8" }).stdout?.trim().split(" ")[1];
if (have !== want) {
  console.log(`installing wasm-bindgen-cli ${want} (found ${have ?? "none"})`);
  try {
    run("cargo", ["install", "-q", "wasm-bindgen-cli", "--version", want, "--locked"]);
  } catch {
    // Its lockfile can want a crate version the registry lacks: resolve afresh.
    run("cargo", ["install", "-q", "wasm-bindgen-cli", "--version", want]);
  }
}
run("cargo", ["build", "--release", "--locked", "-p", "vectrade-wasm", "--target", "wasm32-unknown-unknown"]);
run("wasm-bindgen", [
  "--target", "web",
  "--out-dir", "sdk-ts/wasm",
  "--out-name", "vectrade",
  `${process.env.CARGO_TARGET_DIR ?? "target"}/wasm32-unknown-unknown/release/vectrade_wasm.wasm`,
]);
