// The README's screenshot: the demo (from dist/, after ./build.sh) in
// Debian's headless Chromium, after a photo from ../shared/images went
// through the page's own UI. Not part of CI.
//
// usage: node test/screenshot.mjs [OUT]   (default: screenshot.png, 1200 px wide)
// env:   PIXMIZE_WEB_DIST, PIXMIZE_IMAGES, CHROMIUM as for browser.test.mjs
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { serve } from "./server.mjs";
import { CHROMIUM_ARGS, chromiumPath } from "./browser.mjs";

const web = dirname(dirname(fileURLToPath(import.meta.url)));
const dist = process.env.PIXMIZE_WEB_DIST ?? join(web, "dist");
const images = process.env.PIXMIZE_IMAGES ?? join(web, "../../../shared/images");
const photo = join(images, "seeding-5312x2988.jpg");
const out = process.argv[2] ?? join(web, "screenshot.png");
for (const path of [join(dist, "index.html"), photo]) {
  if (!existsSync(path)) throw new Error(`${path} is missing (run build.sh; the shared images are needed)`);
}

const server = await serve(dist);
const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 880 } });
  await page.goto(`${server.url}/`);
  await page.waitForFunction(() => document.body.dataset.ready === "true", null, { timeout: 120_000 });
  await page.setInputFiles("#file", photo);
  await page.waitForFunction(() => /5312 × 2988/.test(document.getElementById("input-info").textContent));
  await page.fill("#tr", "w-800,q-80");
  await page.click("#run");
  await page.waitForSelector('#result[data-state="done"]', { timeout: 180_000 });
  const type = out.endsWith(".png") ? "png" : "jpeg";
  await page.screenshot({ path: out, type, ...(type === "jpeg" ? { quality: 80 } : {}) });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await server.close();
}
