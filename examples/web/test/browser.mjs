// Shared by the browser test and the benchmark: how to start Debian's
// Chromium here, and a network monitor built on the browser's own logs.
import { existsSync } from "node:fs";

// As documented for this machine: headless, no sandbox (root), no GPU, and
// none of Chromium's own background connections (updates, sync, QUIC
// probes), so that every request in the log comes from the page.
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export function chromiumPath() {
  const path = process.env.CHROMIUM ?? "/usr/bin/chromium";
  if (!existsSync(path)) throw new Error(`${path} not found (apt-get install chromium)`);
  return path;
}

/**
 * Records every request the page and its workers make, from two sources:
 * Playwright's `request` event, and the Chrome DevTools Protocol's
 * `Network.requestWillBeSent` on the page's session and on a session for
 * each dedicated worker (auto-attached). Each entry: {source, method, url,
 * body (bytes or 1 when CDP only says there is a body), type}.
 *
 * Playwright holds each new worker until its own instrumentation is on, so
 * its log covers a worker from the first request. The CDP worker monitor is
 * a second, independent witness, but it can start a few milliseconds late:
 * Playwright's session may let the worker run before this session's
 * `Network.enable` arrives. `workers()` lists the workers it is watching.
 */
export async function watchNetwork(page) {
  const entries = [];
  const watched = []; // worker URLs whose Network domain this session enabled
  let sockets = 0;
  // Callbacks run after every change, for `until`.
  const listeners = new Set();
  const changed = () => {
    for (const l of listeners) l();
  };
  const push = (entry) => {
    entries.push(entry);
    changed();
  };
  page.on("request", (r) => {
    push({ source: "playwright", method: r.method(), url: r.url(), body: r.postDataBuffer()?.length ?? 0, type: r.resourceType() });
  });
  page.on("websocket", () => sockets++);
  const cdp = await page.context().newCDPSession(page);
  const fromCdp = (source) => (e) =>
    push({
      source,
      method: e.request.method,
      url: e.request.url,
      body: e.request.hasPostData ? Math.max(1, e.request.postData?.length ?? 0) : 0,
      type: e.type,
    });
  cdp.on("Network.requestWillBeSent", fromCdp("cdp-page"));
  cdp.on("Network.webSocketCreated", () => sockets++);
  await cdp.send("Network.enable");
  // Workers: the non-flattened protocol lets this session talk to each
  // worker's own target (Playwright keeps flattened sessions to itself).
  let id = 0;
  const enabling = new Map(); // message id -> worker URL
  const toWorker = fromCdp("cdp-worker");
  cdp.on("Target.attachedToTarget", async (e) => {
    const send = (method) => {
      const message = { id: ++id, method, params: {} };
      if (method === "Network.enable") enabling.set(message.id, e.targetInfo.url);
      return cdp.send("Target.sendMessageToTarget", { sessionId: e.sessionId, message: JSON.stringify(message) }).catch(() => {});
    };
    if (e.targetInfo.type === "worker") await send("Network.enable");
    await send("Runtime.runIfWaitingForDebugger");
  });
  cdp.on("Target.receivedMessageFromTarget", (e) => {
    const m = JSON.parse(e.message);
    if (m.method === "Network.requestWillBeSent") toWorker(m.params);
    if (m.method === "Network.webSocketCreated") sockets++;
    if (enabling.has(m.id) && !m.error) {
      watched.push(enabling.get(m.id));
      enabling.delete(m.id);
      changed();
    }
  });
  await cdp.send("Target.setAutoAttach", { autoAttach: true, waitForDebuggerOnStart: true, flatten: false });
  const net = {
    /** A position in the log. */
    mark: () => ({ at: entries.length, workers: watched.length }),
    /** Entries after a mark. */
    since: (mark) => entries.slice(mark.at),
    all: () => entries.slice(),
    /** URLs of the workers the CDP worker monitor watches, in order. */
    workers: () => watched.slice(),
    websockets: () => sockets,
    /**
     * Resolves when `test(net)` holds, checked now and after every new
     * entry or watched worker (CDP events arrive on their own schedule,
     * possibly after the page has moved on); rejects after `timeoutMs`
     * with `what` in the message.
     */
    until: (test, what, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (!test(net)) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`${what}: not within ${timeoutMs} ms`));
        }, timeoutMs);
        listeners.add(check);
        check();
      }),
  };
  return net;
}
