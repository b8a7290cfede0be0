// A tiny static file server for the demo, the browser test and the
// benchmark: 127.0.0.1 only, a random free port, GET/HEAD only, no
// directory listings. It logs every request it answers, so a test can
// cross-check the browser's own network log against the server's.
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".svg": "image/svg+xml",
  ".ico": "image/x-icon",
};

// The same policy as the page's <meta> tag, also sent as a header so that
// it covers the module worker (a worker does not inherit a page's <meta> CSP).
export const CSP =
  "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; " +
  "connect-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * Serves `root` on 127.0.0.1 at a random port.
 * @param {string} root folder to serve
 * @param {Record<string, string>} [extra] URL path -> file, served as well
 * @param {{csp?: string | null}} [options] the CSP header (null: none)
 * @returns {Promise<{url: string, log: {method: string, url: string, bodyBytes: number}[], close: () => Promise<void>}>}
 */
export async function serve(root, extra = {}, { csp = CSP } = {}) {
  const base = resolve(root);
  const log = [];
  const server = createServer(async (req, res) => {
    let bodyBytes = 0;
    req.on("data", (chunk) => (bodyBytes += chunk.length));
    await new Promise((done) => req.on("end", done));
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    log.push({ method: req.method, url: path, bodyBytes });
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405).end();
      return;
    }
    let file = extra[path];
    if (!file) {
      const rel = normalize(path === "/" ? "/index.html" : path);
      file = join(base, rel);
      if (!file.startsWith(base + sep)) {
        res.writeHead(403).end();
        return;
      }
    }
    try {
      if (!(await stat(file)).isFile()) throw new Error("not a file");
      const body = await readFile(file);
      const headers = {
        "content-type": TYPES[extname(file)] ?? "application/octet-stream",
        "content-length": body.length,
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
      };
      if (csp) headers["content-security-policy"] = csp;
      res.writeHead(200, headers);
      res.end(req.method === "HEAD" ? undefined : body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections?.();
        server.close(() => ok());
      }),
  };
}

// `node test/server.mjs [ROOT]`: serve the built demo by hand.
if (import.meta.url === `file://${process.argv[1]}`) {
  const root = process.argv[2] ?? new URL("../dist", import.meta.url).pathname;
  const { url } = await serve(root);
  console.log(`serving ${root} at ${url}/ (Ctrl-C stops)`);
}
