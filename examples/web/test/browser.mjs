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
 * each dedicated worker (auto-attached, paused until its monitor is on).
 * Each entry: {source, method, url, body (bytes or 1 when CDP only says
 * there is a body), type}.
 */
export async function watchNetwork(page) {
  const entries = [];
  let sockets = 0;
  page.on("request", (r) => {
    entries.push({ source: "playwright", method: r.method(), url: r.url(), body: r.postDataBuffer()?.length ?? 0, type: r.resourceType() });
  });
  page.on("websocket", () => sockets++);
  const cdp = await page.context().newCDPSession(page);
  const fromCdp = (source) => (e) =>
    entries.push({
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
  const toWorker = fromCdp("cdp-worker");
  cdp.on("Target.attachedToTarget", async (e) => {
    const send = (method) =>
      cdp.send("Target.sendMessageToTarget", { sessionId: e.sessionId, message: JSON.stringify({ id: ++id, method, params: {} }) }).catch(() => {});
    if (e.targetInfo.type === "worker") await send("Network.enable");
    await send("Runtime.runIfWaitingForDebugger");
  });
  cdp.on("Target.receivedMessageFromTarget", (e) => {
    const m = JSON.parse(e.message);
    if (m.method === "Network.requestWillBeSent") toWorker(m.params);
    if (m.method === "Network.webSocketCreated") sockets++;
  });
  await cdp.send("Target.setAutoAttach", { autoAttach: true, waitForDebuggerOnStart: true, flatten: false });
  return {
    /** A position in the log: counts so far. */
    mark: () => ({ at: entries.length, playwright: entries.filter((e) => e.source === "playwright").length, cdp: entries.filter((e) => e.source !== "playwright").length }),
    /** Entries after a mark. */
    since: (mark) => entries.slice(mark.at),
    all: () => entries.slice(),
    websockets: () => sockets,
  };
}
