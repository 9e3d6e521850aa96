// The page: loads lam.wasm (a bundle, `lam-translate bundle`), runs a
// bundled example or a dropped .beam with `lam-translate run`, and shows
// `lam-translate report` on it. `?example=NAME&post=1` runs an example at
// once and posts what the page shows to /result (tests/wasi_vs_erl.rs).
import { dir, putFile, runWasi, unpack } from "./wasi-shim.mjs";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

const t0 = performance.now();
const bytes = new Uint8Array(await (await fetch("lam.wasm")).arrayBuffer());
const module = await WebAssembly.compile(bytes);
const compiled = performance.now() - t0;
const { entry, files } = unpack(WebAssembly.Module.customSections(module, "lam-bundle")[0]);

// The bundle's tree, the same for every run; each run gets a fresh /work.
const bundle = dir();
for (const [name, data] of files) putFile(bundle, name, data);
const examples = [...files.keys()]
  .filter((n) => n.startsWith("app/"))
  .map((n) => n.slice(4).replace(/\.(lam|beam)$/, ""));
for (const e of examples) $("example").add(new Option(e, e, e === entry, e === entry));

/// Runs lam-translate with `args` over a /work holding `work` (name to
/// bytes): its exit code, output and error output, and the time it took.
async function lam(args, work) {
  const w = dir();
  for (const [name, data] of Object.entries(work)) putFile(w, name, data);
  const dec = new TextDecoder();
  let out = "";
  let err = "";
  const t = performance.now();
  const code = await runWasi(module, {
    args: ["lam-translate", ...args],
    env: { LAM_OTP_ROOT: "/lam-bundle" },
    preopens: { "/lam-bundle": bundle, "/work": w },
    stdout: (b) => (out += dec.decode(b, { stream: true })),
    stderr: (b) => (err += dec.decode(b, { stream: true })),
  });
  return { code, out, err, ms: performance.now() - t };
}

function show(name, run, report) {
  $("output").textContent = run.out + (run.err ? run.err : "");
  $("report").textContent = report ? report.out + report.err : "(the report reads .beam files)";
  $("stats").textContent =
    `lam.wasm: ${bytes.length.toLocaleString("en")} bytes, compiled in ${compiled.toFixed(0)} ms; ` +
    `${name} ran in ${run.ms.toFixed(0)} ms (exit ${run.code}).`;
}

async function runExample(name) {
  const file = [...files.keys()].find((n) => n.startsWith(`app/${name}.`));
  const run = await lam(["run", `/lam-bundle/${file}`], {});
  const report = file.endsWith(".beam") ? await lam(["report", `/lam-bundle/${file}`], {}) : null;
  show(name, run, report);
  return run;
}

async function runFile(f) {
  const data = new Uint8Array(await f.arrayBuffer());
  const run = await lam(["run", `/work/${f.name}`], { [f.name]: data });
  const report = await lam(["report", `/work/${f.name}`], { [f.name]: data });
  show(f.name, run, report);
}

$("stats").textContent =
  `lam.wasm: ${bytes.length.toLocaleString("en")} bytes, compiled in ${compiled.toFixed(0)} ms.`;
$("run-example").disabled = false;
$("run-example").onclick = () => runExample($("example").value);
$("file").onchange = (e) => e.target.files[0] && runFile(e.target.files[0]);
const drop = $("drop");
drop.ondragover = (e) => (e.preventDefault(), drop.classList.add("over"));
drop.ondragleave = () => drop.classList.remove("over");
drop.ondrop = (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  if (e.dataTransfer.files[0]) runFile(e.dataTransfer.files[0]);
};

if (params.has("example")) {
  let result;
  try {
    const run = await runExample(params.get("example"));
    result = {
      output: $("output").textContent,
      code: run.code,
      report: $("report").textContent,
      stats: $("stats").textContent,
    };
  } catch (e) {
    result = { error: String(e && e.stack ? e.stack : e) };
  }
  if (params.has("post")) await fetch("result", { method: "POST", body: JSON.stringify(result) });
}
