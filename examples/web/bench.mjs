// Speed in the browser: our WebAssembly engine against pica and a plain
// canvas resize, in the same headless Chromium, on the 16 MP photo to 800 px
// wide, JPEG q80, each timed from JPEG bytes to JPEG bytes. Also the same
// job natively (the `web-reference` example: the same pure-Rust code).
//
// usage: node bench.mjs [--runs N] [--dist DIR] [--native BIN] [--json FILE]
//   (after ./build.sh and `npm ci`; --native defaults to
//   target/release/examples/web-reference when it exists)
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { serve } from "./test/server.mjs";
import { CHROMIUM_ARGS, chromiumPath } from "./test/browser.mjs";

const web = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "7" },
    dist: { type: "string", default: join(web, "dist") },
    native: { type: "string", default: join(process.env.CARGO_TARGET_DIR ?? join(web, "../../target"), "release/examples/web-reference") },
    json: { type: "string" },
    images: { type: "string", default: process.env.PIXMIZE_IMAGES ?? join(web, "../../../shared/images") },
  },
});
const runs = Number(args.runs);
const photo = join(args.images, "seeding-5312x2988.jpg");
if (!existsSync(photo)) {
  console.log(`skipped: ${photo} is not available`);
  process.exit(0);
}

const server = await serve(
  args.dist,
  {
    "/bench/index.html": join(web, "bench/index.html"),
    "/bench/bench.js": join(web, "bench/bench.js"),
    "/vendor/pica.min.js": join(web, "node_modules/pica/dist/pica.min.js"),
    "/photo.jpg": photo,
  },
  { csp: null }, // pica starts its workers from blob: URLs
);
const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
let report;
try {
  const page = await browser.newPage();
  page.on("pageerror", (e) => console.error("page error:", e.message));
  await page.goto(`${server.url}/bench/index.html`);
  await page.waitForFunction(() => document.body.dataset.ready === "true");
  console.log(`Chromium ${browser.version()}, ${cpus().length} cores (${cpus()[0]?.model}), load ${loadavg()[0].toFixed(1)}; ${runs} runs each, interleaved`);
  report = await page.evaluate((o) => globalThis.runBench(o), { url: "/photo.jpg", width: 800, quality: 0.8, runs });
} finally {
  await browser.close();
  await server.close();
}

if (existsSync(args.native)) {
  const out = execFileSync(args.native, [photo, "--tr", "w-800,q-80", "--repeat", String(runs)], { encoding: "utf8" });
  const n = JSON.parse(out);
  report.results["pixmize (native, same pure-Rust code)"] = { median_ms: n.median_ms, output: { bytes: n.bytes, width: n.width, height: n.height } };
} else {
  console.log(`(native reference not run: ${args.native} not found; cargo build --release -p pixmize-web --example web-reference)`);
}

const ours = report.results["pixmize (wasm)"].median_ms;
console.log(`\n${"tool".padEnd(40)} ${"median".padStart(9)} ${"output".padStart(16)}   pixmize-wasm / tool`);
for (const [name, r] of Object.entries(report.results)) {
  const o = r.output;
  console.log(
    `${name.padEnd(40)} ${r.median_ms.toFixed(0).padStart(6)} ms ${`${o.width}×${o.height} ${(o.bytes / 1024).toFixed(0)} KB`.padStart(16)}   ${(ours / r.median_ms).toFixed(2)}`,
  );
}
if (args.json) writeFileSync(args.json, JSON.stringify(report, null, 2));
