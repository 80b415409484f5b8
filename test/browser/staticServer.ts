import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** What a path serves: a body and its content type. */
export type Routes = Readonly<
  Record<string, { readonly type: string; readonly body: string | Uint8Array }>
>;

export interface StaticServer {
  readonly origin: string;
  close(): Promise<void>;
}

/**
 * A loopback HTTP server for browser tests. Pages need a secure context for `crypto.subtle`,
 * which http://127.0.0.1 is (about:blank and file: are not). With `proxyTo` (an http origin),
 * every other path is forwarded there, so a page can call a service as its own origin.
 */
export async function serveStatic(routes: Routes, proxyTo?: string): Promise<StaticServer> {
  const server: Server = createServer((req, res) => {
    const route = routes[new URL(req.url ?? "/", "http://x").pathname];
    if (route === undefined && proxyTo !== undefined) {
      const target = new URL(req.url ?? "/", proxyTo);
      const upstream = request(
        target,
        { method: req.method, headers: { ...req.headers, host: target.host } },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on("error", () => res.writeHead(502).end());
      req.pipe(upstream);
      return;
    }
    if (route === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": route.type, "cache-control": "no-store" }).end(route.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
