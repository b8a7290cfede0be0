// The canary's worker: one upload, then tell the page.
await fetch("/canary-upload-from-worker", { method: "POST", body: new Uint8Array(4096).fill(0xd8) }).catch(() => {});
self.postMessage("done");
