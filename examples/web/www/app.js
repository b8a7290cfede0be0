// The demo page: the main thread validates the transformation as you type,
// shows the privacy policy and keeps preferences; a module worker runs the
// engine so the page stays responsive. Nothing here opens a connection: the
// image goes from the file input to the worker and back as bytes in memory,
// and the result is drawn on a canvas (no blob: or data: image loads).
import init, { canonical, policyHtml, storageKeys, version, probe } from "./pkg/pixmize_web.js";

const $ = (id) => document.getElementById(id);

// Presets: a few everyday jobs, and two that show what cannot run here.
const PRESETS = [
  ["Web photo, 800 px", "w-800,q-80"],
  ["Thumbnail 300×300", "w-300,h-300"],
  ["Fit in 1200 px", "w-1200,h-1200,c-at_max"],
  ["Round avatar (PNG)", "w-400,h-400,r-max,f-png"],
  ["Pad to 16:9", "w-960,ar-16-9,cm-pad_resize,bg-F2F2F2"],
  ["Black and white", "w-800,e-grayscale,e-contrast"],
  ["Rotate and mirror", "w-800,rt-90,fl-h"],
  ["Lossy WebP", "w-800,f-webp"],
  ["AI background removal", "w-800:e-bgremove"],
];

// f-auto may pick any of these; this build encodes JPEG and PNG (lossy
// WebP needs libwebp, which is C and not in the WebAssembly build).
const ACCEPT = ["image/webp", "image/png", "image/jpeg"];

const state = { file: null, worker: null, busy: false, nextId: 1, pending: new Map(), url: null };

// ---- preferences (localStorage, only under the keys the policy declares) ----

let KEYS = { theme: null, processing: null };

function pref(key, value) {
  if (!key) return null;
  try {
    if (value === undefined) return localStorage.getItem(key);
    localStorage.setItem(key, value);
  } catch {
    // Storage disabled (private mode, policy): preferences last for this visit.
  }
  return value ?? null;
}

function applyTheme(theme) {
  const t = ["light", "dark"].includes(theme) ? theme : "system";
  document.documentElement.dataset.theme = t;
  $("theme").value = t;
}

function setupPreferences() {
  const keys = storageKeys();
  KEYS.theme = keys.find((k) => k.endsWith(".theme")) ?? null;
  KEYS.processing = keys.find((k) => k.endsWith(".processing")) ?? null;
  $("storage-keys").textContent = [KEYS.theme, KEYS.processing].filter(Boolean).join(", ") || "none";
  applyTheme(pref(KEYS.theme));
  $("theme").addEventListener("change", (e) => {
    applyTheme(e.target.value);
    pref(KEYS.theme, e.target.value);
  });
  // Only "device" can be chosen here; a "cloud" choice saved by the full app
  // is shown but not used, because this page has no cloud backend.
  const saved = pref(KEYS.processing);
  if (saved === "cloud") {
    $("status").textContent =
      "Your saved preference allows cloud processing, but this demo has none: everything runs on this device.";
  }
  for (const radio of document.querySelectorAll('input[name="processing"]')) {
    radio.addEventListener("change", (e) => e.target.checked && pref(KEYS.processing, e.target.value));
  }
}

// ---- the privacy policy, rendered by pixmize-policy at compile time ----

function setupPolicy() {
  // The export is a whole document; its <main> goes into the dialog and this
  // page's stylesheet styles it. Its inline <style> is dropped before parsing
  // (the page's CSP would refuse it anyway).
  const html = policyHtml().replace(/<style>[\s\S]*?<\/style>/, "");
  const doc = new DOMParser().parseFromString(html, "text/html");
  const main = doc.querySelector("main");
  const body = $("policy-body");
  body.replaceChildren(...Array.from(main.childNodes, (n) => document.importNode(n, true)));
  for (const a of body.querySelectorAll("a[href]")) {
    if (!a.getAttribute("href").startsWith("#")) {
      a.target = "_blank";
      a.rel = "noopener noreferrer";
    }
  }
  $("policy-title").textContent = doc.title;
  $("open-policy").addEventListener("click", () => $("policy").showModal());
  $("close-policy").addEventListener("click", () => $("policy").close());
}

// ---- transformation input: live validation with the parser's own errors ----

function showTransformationError(text, err) {
  const status = $("tr-status");
  status.className = "tr-status bad";
  // Underline the whole parameter around the error's byte offset.
  let at = Math.min(err.offset ?? text.length, text.length);
  while (at > 0 && text[at - 1] !== "," && text[at - 1] !== ":") at--;
  let end = Math.min(err.offset ?? text.length, text.length);
  while (end < text.length && text[end] !== "," && text[end] !== ":") end++;
  const code = document.createElement("code");
  const mark = document.createElement("mark");
  mark.textContent = text.slice(at, end) || " ";
  code.append(text.slice(0, at), mark, text.slice(end));
  const where = [err.key ? `\`${err.key}\`` : null, err.step != null ? `step ${err.step + 1}` : null,
    err.offset != null ? `byte ${err.offset}` : null].filter(Boolean).join(", ");
  status.replaceChildren(code, document.createElement("br"), `${where}: ${err.reason}`);
  status.dataset.key = err.key ?? "";
  status.dataset.offset = err.offset ?? "";
  status.dataset.step = err.step ?? "";
  status.dataset.kind = err.kind ?? "";
}

function validate() {
  const text = $("tr").value.trim();
  try {
    const c = canonical(text);
    const status = $("tr-status");
    status.className = "tr-status ok";
    status.textContent = c === "" ? "Empty: the image is re-encoded as it is." : `Runs as ${c}`;
    for (const k of ["key", "offset", "step", "kind"]) delete status.dataset[k];
    return true;
  } catch (e) {
    if (e.name !== "PixmizeError") throw e;
    showTransformationError(text, e);
    return false;
  }
}

function setupPresets() {
  const box = $("presets");
  for (const [label, tr] of PRESETS) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.title = tr;
    b.addEventListener("click", () => {
      $("tr").value = tr;
      validate();
      updateRun();
    });
    box.append(b);
  }
  $("tr").addEventListener("input", () => {
    validate();
    updateRun();
  });
  $("tr").addEventListener("keydown", (e) => e.key === "Enter" && !$("run").disabled && run());
}

// ---- the input file ----

const kb = (n) => (n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1048576).toFixed(2)} MB`);

async function takeFile(file) {
  if (!file) return;
  state.file = file;
  // The file input shows a chosen file's name itself; a dropped one is named here.
  $("drop-text").textContent = $("file").files[0] === file ? "or drop another image here" : file.name;
  try {
    const info = probe(new Uint8Array(await file.arrayBuffer()));
    $("input-info").textContent =
      `${info.format.toUpperCase()}, ${info.width} × ${info.height} px, ${kb(file.size)} — read on this device.`;
  } catch (e) {
    $("input-info").textContent = `${file.name}: ${e.message}`;
  }
  updateRun();
}

function setupInput() {
  $("file").addEventListener("change", (e) => takeFile(e.target.files[0]));
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    takeFile(e.dataTransfer.files[0]);
  });
}

function updateRun() {
  $("run").disabled = !state.file || state.busy || !state.worker;
}

// ---- running the engine in the worker ----

function call(message, transfer) {
  const id = state.nextId++;
  return new Promise((resolve) => {
    state.pending.set(id, resolve);
    state.worker.postMessage({ id, ...message }, transfer);
  });
}

async function startWorker() {
  const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
  worker.addEventListener("message", (e) => {
    const resolve = state.pending.get(e.data.id);
    state.pending.delete(e.data.id);
    resolve?.(e.data);
  });
  state.worker = worker;
  const ready = await call({ op: "ready" });
  if (!ready.ok) throw new Error(ready.error.message);
}

async function run() {
  if (!state.file || state.busy) return;
  const text = $("tr").value.trim();
  const result = $("result");
  state.busy = true;
  updateRun();
  result.dataset.state = "working";
  $("error").hidden = true;
  $("run").textContent = "Processing on this device…";
  const input = await state.file.arrayBuffer();
  const started = performance.now();
  const reply = await call({ op: "process", input, transformation: text, accept: ACCEPT }, [input]);
  const total = performance.now() - started;
  state.busy = false;
  $("run").textContent = "Process on this device";
  updateRun();
  if (!reply.ok) {
    showError(text, reply.error);
    return;
  }
  await showResult(reply, total, text);
}

function showError(text, err) {
  const result = $("result");
  result.dataset.state = "error";
  const box = $("error");
  box.hidden = false;
  box.textContent = err.message;
  Object.assign(box.dataset, { kind: err.kind ?? "", key: err.key ?? "", offset: err.offset ?? "", step: err.step ?? "" });
  if (err.name === "PixmizeError" && err.offset != null) showTransformationError(text, err);
}

async function showResult(out, total, text) {
  const blob = new Blob([out.bytes], { type: out.mime });
  // Draw through an ImageBitmap: the result never becomes a URL the page loads.
  const bitmap = await createImageBitmap(blob);
  const canvas = $("preview");
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  canvas.getContext("bitmaprenderer").transferFromImageBitmap(bitmap);
  $("placeholder").hidden = true;
  const inSize = state.file.size;
  $("out-dims").textContent = `${out.format.toUpperCase()}, ${out.width} × ${out.height} px`;
  $("out-size").textContent = `${kb(out.bytes.byteLength)} (${((100 * out.bytes.byteLength) / inSize).toFixed(1)} % of ${kb(inSize)})`;
  $("out-time").textContent = `${out.ms.toFixed(0)} ms in the engine, ${total.toFixed(0)} ms in all`;
  $("out-tr").textContent = canonical(text) || "(empty)";
  $("stats").hidden = false;
  if (state.url) URL.revokeObjectURL(state.url);
  state.url = URL.createObjectURL(blob); // only ever used by a click on Download
  const a = $("download");
  a.href = state.url;
  a.download = `${state.file.name.replace(/\.[^.]+$/, "")}-pixmize.${out.extension}`;
  a.hidden = false;
  Object.assign($("result").dataset, {
    state: "done",
    width: out.width,
    height: out.height,
    format: out.format,
    bytes: out.bytes.byteLength,
    ms: out.ms.toFixed(1),
  });
}

// ---- start ----

async function main() {
  await init();
  $("engine-version").textContent = `pixmize-web ${version()}`;
  setupPreferences();
  setupPolicy();
  setupPresets();
  setupInput();
  validate();
  $("run").addEventListener("click", run);
  await startWorker();
  $("status").textContent = "Ready. Images are processed on this device by WebAssembly; nothing is uploaded.";
  updateRun();
  // Every asset is loaded: from here on the page makes no request at all.
  document.body.dataset.ready = "true";
}

main().catch((e) => {
  $("status").textContent = `The engine could not start: ${e.message}`;
  document.body.dataset.ready = "failed";
});
