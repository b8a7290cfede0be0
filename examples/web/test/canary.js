// Uploads 4 KiB from the page and from a worker: the browser test checks
// that every network monitor reports both. The worker uploads when the
// test says so (`uploadFromWorker()`), once the CDP worker monitor is on.
const bytes = new Uint8Array(4096).fill(0xd8);
await fetch("/canary-upload", { method: "POST", body: bytes }).catch(() => {});
const worker = new Worker("/canary-worker.js", { type: "module" });
globalThis.uploadFromWorker = () =>
  new Promise((done) => {
    worker.addEventListener("message", done, { once: true });
    worker.postMessage("upload");
  });
document.body.dataset.started = "true";
