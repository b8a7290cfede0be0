// The demo in a real browser (Debian's headless Chromium driven by
// playwright-core): a real 16 MP photo goes through the page's own UI, the
// result is checked against the native engine, and the browser's own
// network log (Playwright's request events and a CDP Network listener on
// the page and on every worker) must show zero requests after the page
// loaded, and no request body or long URL at any time.
//
// usage: node test/browser.test.mjs            (after ./build.sh)
// env:   PIXMIZE_WEB_DIST       the built site (default ../dist)
//        PIXMIZE_WEB_REFERENCE  the native `web-reference` example binary
//        PIXMIZE_IMAGES         folder with seeding-5312x2988.jpg (default ../../../shared/images)
//        CHROMIUM               browser binary (default /usr/bin/chromium)
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { serve } from "./server.mjs";
import { CHROMIUM_ARGS, chromiumPath, watchNetwork } from "./browser.mjs";

const web = dirname(dirname(fileURLToPath(import.meta.url)));
const dist = process.env.PIXMIZE_WEB_DIST ?? join(web, "dist");
const images = process.env.PIXMIZE_IMAGES ?? join(web, "../../../shared/images");
const photo = join(images, "seeding-5312x2988.jpg");
const alphaPng = join(images, "emerald-logo-1689x1800-alpha.png");
const reference =
  process.env.PIXMIZE_WEB_REFERENCE ??
  join(process.env.CARGO_TARGET_DIR ?? join(web, "../../target"), "debug/examples/web-reference");

if (!existsSync(photo)) {
  console.log(`skipped: ${photo} is not available (the shared test images are not on this machine)`);
  process.exit(0);
}
for (const [what, path] of [["the built demo (run build.sh)", join(dist, "index.html")], ["the native reference", reference]]) {
  if (!existsSync(path)) throw new Error(`${what} is missing: ${path}`);
}

const tmp = mkdtempSync(join(tmpdir(), "pixmize-web-test-"));
const sha = (buf) => createHash("sha256").update(buf).digest("hex").slice(0, 16);
const log = (...a) => console.log("  ", ...a);

/** The native engine's output for the same job, compared with the page's. */
function native(input, tr, pageOutput) {
  const out = join(tmp, `native-${sha(Buffer.from(tr))}`);
  const json = execFileSync(reference, [input, "--tr", tr, "-o", out, "--compare", pageOutput], { encoding: "utf8" });
  return { ...JSON.parse(json), file: out };
}

const server = await serve(dist, {
  // A canary page whose worker uploads bytes, to prove the monitors see it.
  "/canary.html": join(web, "test/canary.html"),
  "/canary-worker.js": join(web, "test/canary-worker.js"),
  "/canary.js": join(web, "test/canary.js"),
});
const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
let failed = false;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
  const page = await context.newPage();
  const net = await watchNetwork(page);
  page.on("pageerror", (e) => console.error("page error:", e.message));

  console.log(`demo at ${server.url}/ in Chromium ${browser.version()}`);
  await page.goto(`${server.url}/`);
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 120_000 });
  assert.equal(await page.evaluate(() => document.body.dataset.ready), "true", "the engine started");
  // Every monitor is on before the photo is chosen: the engine's worker too.
  await net.until((n) => n.workers().some((u) => u.endsWith("/worker.js")), "the CDP monitor watches the engine's worker");
  const atLoad = net.mark();
  for (const source of ["playwright", "cdp-page", "cdp-worker"]) {
    const seen = net.all().filter((r) => r.source === source).map((r) => new URL(r.url).pathname);
    log(`loaded, seen by ${source}: ${seen.length} requests: ${seen.join(" ")}`);
  }

  // 1. Live validation shows the parser's typed error: key, byte offset, step.
  await page.fill("#tr", "w-800,q-101");
  const status = page.locator("#tr-status");
  assert.deepEqual(
    await status.evaluate((e) => ({ ...e.dataset, mark: e.querySelector("mark")?.textContent })),
    { kind: "parse", key: "q", offset: "8", step: "0", mark: "q-101" },
  );
  log(`bad transformation: ${await status.innerText()}`);

  // 2. The 16 MP photo through the UI: choose, type, click.
  await page.setInputFiles("#file", photo);
  await page.waitForFunction(() => /5312 × 2988/.test(document.getElementById("input-info").textContent));
  const tr = "w-800,q-80";
  await page.fill("#tr", tr);
  assert.match(await status.innerText(), /Runs as w-800,q-80/);
  await page.click("#run");
  await page.waitForSelector('#result[data-state="done"]', { timeout: 180_000 });
  const shown = await page.locator("#result").evaluate((e) => ({ ...e.dataset }));
  log(`page: ${shown.format} ${shown.width}×${shown.height}, ${shown.bytes} bytes, ${shown.ms} ms in the engine`);
  await page.screenshot({ path: join(dist, "screenshot.jpg"), type: "jpeg", quality: 80 });

  // 3. Download it, and compare with the native engine's output.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
  const pageOut = join(tmp, "page-photo.jpg");
  await download.saveAs(pageOut);
  assert.match(download.suggestedFilename(), /^seeding-5312x2988-pixmize\.jpg$/);
  const pageBytes = readFileSync(pageOut);
  assert.equal(pageBytes.length, Number(shown.bytes), "the download is the result shown");
  const ref = native(photo, tr, pageOut);
  log(`native: ${ref.format} ${ref.width}×${ref.height}, ${ref.bytes} bytes; pixels: ${JSON.stringify(ref.compare)}`);
  assert.equal(shown.format, ref.format);
  assert.deepEqual([Number(shown.width), Number(shown.height)], [ref.width, ref.height]);
  assert.deepEqual([ref.width, ref.height], [800, 450], "w-800 keeps 5312:2988");
  assert.equal(pageBytes.subarray(0, 3).toString("hex"), "ffd8ff", "a JPEG");
  const sameBytes = sha(pageBytes) === sha(readFileSync(ref.file));
  log(`bytes identical to native: ${sameBytes} (page ${sha(pageBytes)}, native ${sha(readFileSync(ref.file))})`);
  assert.ok(
    Math.abs(pageBytes.length - ref.bytes) <= ref.bytes * 0.01,
    `size within 1 % of native (${pageBytes.length} vs ${ref.bytes})`,
  );
  // Same code, but x86 SIMD natively and wasm SIMD128 here round a few
  // pixels differently, which JPEG re-encoding can spread inside an 8×8 block.
  assert.ok(ref.compare.max_diff <= 16 && ref.compare.mean_diff < 0.05, `pixels match native: ${JSON.stringify(ref.compare)}`);

  // 4. Typed errors for what cannot run on the device, located in the input.
  for (const [preset, want] of [
    ["Lossy WebP", { kind: "unsupported", key: "f", offset: "6", step: "0" }],
    ["AI background removal", { kind: "unsupported", key: "e-bgremove", offset: "6", step: "1" }],
  ]) {
    await page.getByRole("button", { name: preset }).click();
    await page.click("#run");
    await page.waitForSelector('#result[data-state="error"]');
    const err = await page.locator("#error").evaluate((e) => ({ ...e.dataset, text: e.textContent }));
    assert.deepEqual({ kind: err.kind, key: err.key, offset: err.offset, step: err.step }, want, preset);
    log(`${preset}: ${err.text}`);
    await page.getByRole("button", { name: "Web photo, 800 px" }).click();
  }

  // 5. An image with real alpha: PNG out, pixels within ±1 of native (the
  //    SIMD128 alpha division that Rust 1.95/1.96 miscompiles is in this path).
  if (existsSync(alphaPng)) {
    await page.setInputFiles("#file", alphaPng);
    await page.waitForFunction(() => /1689 × 1800/.test(document.getElementById("input-info").textContent));
    await page.fill("#tr", "w-400");
    await page.click("#run");
    await page.waitForSelector('#result[data-state="done"][data-format="png"]', { timeout: 120_000 });
    const [dl] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
    const pngOut = join(tmp, "page-alpha.png");
    await dl.saveAs(pngOut);
    const pref = native(alphaPng, "w-400", pngOut);
    log(`alpha PNG: ${pref.width}×${pref.height}; pixels vs native: ${JSON.stringify(pref.compare)}`);
    assert.equal(pref.format, "png");
    assert.equal(pref.compare.pixels_off_by_more_than_1, 0, `alpha pixels match native: ${JSON.stringify(pref.compare)}`);
  } else {
    log(`alpha check skipped: ${alphaPng} is not available`);
  }

  // 6. The policy (rendered by pixmize-policy at compile time) and preferences.
  await page.click("#open-policy");
  const policy = page.locator("#policy-body");
  assert.ok(await page.locator("#policy").evaluate((d) => d.open), "the policy dialog opens");
  assert.equal(await policy.locator("#activity-preferences").count(), 1, "the preferences clause is there");
  const declared = (await page.locator("#storage-keys").innerText()).split(", ");
  for (const key of declared) assert.ok((await policy.innerText()).includes(key), `the policy declares ${key}`);
  await page.click("#close-policy");
  await page.selectOption("#theme", "dark");
  await page.check('input[name="processing"][value="device"]');
  const stored = await page.evaluate(() => Object.fromEntries(Object.entries(localStorage)));
  log(`localStorage: ${JSON.stringify(stored)}; the policy declares ${declared.join(", ")}`);
  for (const key of Object.keys(stored)) assert.ok(declared.includes(key), `${key} is declared by the policy`);
  assert.equal(stored[declared.find((k) => k.endsWith(".theme"))], "dark");
  assert.ok(await page.locator('input[value="cloud"]').isDisabled(), "cloud processing is not offered");

  // 7. The network log: nothing after load, nothing with a body, ever.
  const after = net.since(atLoad);
  log(`after load: ${after.length} requests`);
  assert.deepEqual(after, [], "zero requests after the page loaded");
  const all = net.all();
  assert.ok(all.length >= 4, "the log saw the page's own assets");
  for (const r of all) {
    assert.equal(r.method, "GET", `${r.url}: only GET`);
    assert.equal(r.body, 0, `${r.url}: no request body`);
    assert.ok(r.url.startsWith(`${server.url}/`), `${r.url}: same origin`);
    assert.ok(r.url.length < 200, `${r.url}: no data in the URL`);
  }
  assert.equal(net.websockets(), 0, "no WebSocket");
  const served = server.log.map((r) => `${r.method} ${r.url} ${r.bodyBytes}`);
  assert.ok(server.log.every((r) => r.method === "GET" && r.bodyBytes === 0), `server log: ${served}`);
  log(`server saw ${server.log.length} GETs, no body: ${served.join(", ")}`);

  // 8. The monitors catch an upload (a canary page that POSTs bytes, and
  //    whose worker does once the CDP worker monitor watches it): this is
  //    what a leak would look like.
  const mark = net.mark();
  await page.goto(`${server.url}/canary.html`);
  await page.waitForFunction(() => document.body.dataset.started === "true");
  await net.until((n) => n.workers().slice(mark.workers).some((u) => u.endsWith("/canary-worker.js")), "the CDP monitor watches the canary worker");
  await page.evaluate(() => globalThis.uploadFromWorker());
  const upload = (source, path) => (r) => r.source === source && r.method === "POST" && r.body > 0 && r.url.endsWith(path);
  for (const [source, path] of [
    ["playwright", "/canary-upload"],
    ["playwright", "/canary-upload-from-worker"],
    ["cdp-page", "/canary-upload"],
    ["cdp-worker", "/canary-upload-from-worker"],
  ]) {
    await net.until((n) => n.since(mark).some(upload(source, path)), `the ${source} monitor sees the upload to ${path}`);
  }
  const seenBy = new Set(net.since(mark).filter((r) => r.method === "POST" && r.body > 0).map((r) => r.source));
  log(`canary uploads seen by: ${[...seenBy].join(", ")}`);

  // 9. Preferences survive a reload.
  await page.goto(`${server.url}/`);
  await page.waitForFunction(() => document.body.dataset.ready === "true");
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark");
  console.log("browser test: ok");
} catch (e) {
  failed = true;
  console.error("browser test FAILED:", e.message);
} finally {
  await browser.close();
  await server.close();
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
