import { createServer, type Server } from "node:http";
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
 * which http://127.0.0.1 is (about:blank and file: are not).
 */
export async function serveStatic(routes: Routes): Promise<StaticServer> {
  const server: Server = createServer((req, res) => {
    const route = routes[new URL(req.url ?? "/", "http://x").pathname];
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
