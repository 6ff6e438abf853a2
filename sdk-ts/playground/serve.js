// Serves the playground: `npm run playground` (from sdk-ts/, after `npm run build`), then open the
// printed address. Static files only: the page, the built package (dist/, wasm/) and two
// libraries from node_modules (uPlot for the charts, acorn to point at syntax errors).

import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
const MOUNTS = [
  ["/vendor/uplot/", "node_modules/uplot/dist/"],
  ["/vendor/acorn/", "node_modules/acorn/dist/"],
  ["/playground/", "playground/"],
  ["/dist/", "dist/"],
  ["/wasm/", "wasm/"],
];
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".png": "image/png",
};

/** The file a URL path maps to, or null outside the mounted folders. */
function fileOf(path) {
  if (path === "/playground/") path = "/playground/index.html";
  for (const [prefix, dir] of MOUNTS) {
    if (!path.startsWith(prefix)) continue;
    const base = resolve(root, dir);
    const file = resolve(base, normalize(decodeURIComponent(path.slice(prefix.length))));
    return file.startsWith(base + sep) ? file : null;
  }
  return null;
}

/** Starts the server on `port` (0: any free port); resolves to its address. */
export function serve(port = 8080, host = "127.0.0.1") {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path === "/" || path === "/playground") {
      res.writeHead(302, { location: "/playground/" }).end();
      return;
    }
    const file = fileOf(path);
    try {
      if (file === null) throw new Error("outside the served folders");
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
      res.end(body);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" }).end(`not found: ${path}\n`);
    }
  });
  return new Promise((ok) => server.listen(port, host, () => ok({ server, url: `http://${host}:${server.address().port}/playground/` })));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const port = Number(process.env.PORT ?? process.argv[2] ?? 8080);
  const { url } = await serve(port);
  console.log(`VecTrade playground: ${url}  (Ctrl-C to stop)`);
}
