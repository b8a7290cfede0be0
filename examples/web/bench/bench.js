// The benchmark page: the same job done four ways in this browser, each
// timed from encoded JPEG bytes to encoded JPEG bytes (decode + resize +
// encode), rounds interleaved so background load hits every tool alike.
import init, { process } from "/pkg/pixmize_web.js";

const pica = globalThis.pica;

async function toJpeg(canvas, quality) {
  return new Promise((done) => canvas.toBlob(done, "image/jpeg", quality));
}

function canvasOf(width, height) {
  const c = document.createElement("canvas");
  c.width = width;
  c.height = height;
  return c;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Each tool: async (bytes, blob, width, quality) => {bytes, width, height}. */
function tools(width, quality) {
  const picaWorkers = pica(); // defaults: JS + its WebAssembly + Web Workers, mks2013 filter
  const picaOneThread = pica({ features: ["js", "wasm"] });
  const viaPica = (p, options) => async (bytes, blob) => {
    const bitmap = await createImageBitmap(blob);
    const to = canvasOf(width, Math.round((bitmap.height * width) / bitmap.width));
    await p.resize(bitmap, to, options);
    bitmap.close();
    const out = await p.toBlob(to, "image/jpeg", quality);
    return { bytes: out.size, width: to.width, height: to.height };
  };
  return {
    "pixmize (wasm)": async (bytes) => {
      const out = process(bytes, `w-${width},q-${Math.round(quality * 100)}`);
      const r = { bytes: out.byteLength, width: out.width, height: out.height };
      out.free();
      return r;
    },
    "pica (workers)": viaPica(picaWorkers, {}),
    "pica (1 thread, lanczos3)": viaPica(picaOneThread, { filter: "lanczos3" }),
    "canvas drawImage": async (bytes, blob) => {
      const bitmap = await createImageBitmap(blob);
      const to = canvasOf(width, Math.round((bitmap.height * width) / bitmap.width));
      const ctx = to.getContext("2d");
      ctx.imageSmoothingQuality = "high";
      ctx.drawImage(bitmap, 0, 0, to.width, to.height);
      bitmap.close();
      const out = await toJpeg(to, quality);
      return { bytes: out.size, width: to.width, height: to.height };
    },
  };
}

globalThis.runBench = async ({ url, width = 800, quality = 0.8, runs = 7, only = null }) => {
  await init();
  const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
  const blob = new Blob([bytes], { type: "image/jpeg" });
  const all = Object.entries(tools(width, quality)).filter(([name]) => !only || only.includes(name));
  const times = Object.fromEntries(all.map(([name]) => [name, []]));
  const outputs = {};
  for (const [name, run] of all) outputs[name] = await run(bytes, blob, width, quality); // warm-up
  for (let i = 0; i < runs; i++) {
    for (const [name, run] of all) {
      const t0 = performance.now();
      await run(bytes, blob, width, quality);
      times[name].push(performance.now() - t0);
    }
  }
  const results = Object.fromEntries(
    all.map(([name]) => [name, { median_ms: median(times[name]), min_ms: Math.min(...times[name]), runs: times[name], output: outputs[name] }]),
  );
  globalThis.benchResults = results;
  document.getElementById("out").textContent = JSON.stringify(results, null, 2);
  return { input_bytes: bytes.length, hardwareConcurrency: navigator.hardwareConcurrency, results };
};

document.getElementById("out").textContent = "ready";
document.body.dataset.ready = "true";
