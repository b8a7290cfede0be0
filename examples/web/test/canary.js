// Uploads 4 KiB from the page and from a worker: the browser test checks
// that every network monitor reports both.
const bytes = new Uint8Array(4096).fill(0xd8);
await fetch("/canary-upload", { method: "POST", body: bytes }).catch(() => {});
const worker = new Worker("/canary-worker.js", { type: "module" });
await new Promise((done) => worker.addEventListener("message", done, { once: true }));
document.body.dataset.done = "true";
