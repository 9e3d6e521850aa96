#!/usr/bin/env -S node --no-turbo-fast-api-calls --no-warnings
// Runs lam-translate's WebAssembly build under node's WASI, with the
// arguments given:  node web/run-wasi.mjs run prog.beam
//
// The module sees the current directory (as itself and as "."), the
// temporary directory, and OTP's
// and Elixir's library directories, read from where erl and elixir are
// installed, so that `run` finds the OTP modules it translates; the
// environment passes through. `--no-turbo-fast-api-calls`: node 20's fast
// path for some WASI calls crashed the process (a V8 bug), so the shebang
// turns it off; run it the same way when calling node by hand.
// LAM_WASM names another module; a bundle made by `lam-translate bundle`
// carries its program and OTP modules, and its arguments are the program's.
import {
  readFileSync, existsSync, realpathSync, mkdtempSync, mkdirSync, writeFileSync, rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { unpack } from "./wasi-shim.mjs";
import { WASI } from "node:wasi";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const wasmPath =
  process.env.LAM_WASM ??
  [
    join(here, "lam-translate.wasm"),
    join(here, "../target/wasm32-wasip1/wasm/lam-translate.wasm"),
  ].find(existsSync);
if (!wasmPath) {
  console.error(
    "no lam-translate.wasm: build it with\n  cargo build --profile wasm --target wasm32-wasip1 --bin lam-translate",
  );
  process.exit(2);
}

const module = await WebAssembly.compile(readFileSync(wasmPath));
const cwd = process.cwd();
// The temporary directory too, where programs write scratch files.
const preopens = { ".": cwd, [cwd]: cwd, [tmpdir()]: tmpdir() };
const env = { ...process.env, PWD: cwd };
let args = process.argv.slice(2);
const bundle = WebAssembly.Module.customSections(module, "lam-bundle")[0];
if (bundle) {
  // A bundle (lam-translate bundle): its files go to a directory of their
  // own, the module's whole OTP tree, and the program runs from it.
  const dir = mkdtempSync(join(tmpdir(), "lam-bundle-"));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  const { entry, files } = unpack(new Uint8Array(bundle));
  for (const [name, bytes] of files) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), bytes);
  }
  preopens["/lam-bundle"] = dir;
  env.LAM_OTP_ROOT = "/lam-bundle";
  const file = [...files.keys()].find((n) => n.startsWith(`app/${entry}.`));
  args = ["run", `/lam-bundle/${file}`, "--", ...args];
} else {
  for (const root of ["/usr/lib/erlang", process.env.LAM_OTP_ROOT].filter(Boolean)) {
    if (existsSync(join(root, "lib"))) {
      const real = realpathSync(root);
      preopens[real] = real;
      env.LAM_OTP_ROOT = real;
    }
  }
  for (const lib of ["/usr/lib/elixir"]) {
    if (existsSync(lib)) preopens[lib] = lib;
  }
}

const wasi = new WASI({
  version: "preview1",
  args: ["lam-translate", ...args],
  env,
  preopens,
  returnOnExit: true,
});
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
