// The canary's worker: one upload when the page asks, then tell the page.
self.addEventListener("message", async () => {
  await fetch("/canary-upload-from-worker", { method: "POST", body: new Uint8Array(4096).fill(0xd8) }).catch(() => {});
  self.postMessage("done");
});
