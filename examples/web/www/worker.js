// Runs the engine off the main thread. Messages in: {id, op: "ready"} and
// {id, op: "process", input: ArrayBuffer, transformation, accept}; out:
// {id, ok, ...}. The bytes travel as transferred ArrayBuffers, never as URLs.
import init, { process } from "./pkg/pixmize_web.js";

const ready = init();

// A PixmizeError's fields, as a plain object (structured clone drops an
// Error's own properties).
function plainError(e) {
  return {
    name: e?.name ?? "Error",
    message: e?.message ?? String(e),
    kind: e?.kind ?? null,
    key: e?.key ?? null,
    offset: e?.offset ?? null,
    step: e?.step ?? null,
    reason: e?.reason ?? null,
  };
}

self.addEventListener("message", async (event) => {
  const { id, op } = event.data;
  try {
    await ready;
    if (op === "ready") {
      self.postMessage({ id, ok: true });
      return;
    }
    const { input, transformation, accept } = event.data;
    const started = performance.now();
    const out = process(new Uint8Array(input), transformation, accept);
    const meta = { format: out.format, mime: out.mime, extension: out.extension, width: out.width, height: out.height };
    const bytes = out.intoBytes();
    const ms = performance.now() - started;
    self.postMessage({ id, ok: true, ...meta, bytes, ms }, [bytes.buffer]);
  } catch (e) {
    self.postMessage({ id, ok: false, error: plainError(e) });
  }
});
