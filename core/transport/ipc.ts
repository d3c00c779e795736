/**
 * IPC transport on Unix domain sockets. Like libzmq, binding removes a stale
 * socket file left by a previous process, and unbinding removes ours.
 *
 * @module
 */
import type { ByteStream, StreamListener } from "./stream.ts";

/**
 * Binds a Unix socket at `path`.
 *
 * @example
 * ```ts
 * import { listenIpc } from "./ipc.ts";
 * const listener = listenIpc("/tmp/zedge-example.sock");
 * listener.close();
 * ```
 */
export function listenIpc(path: string): StreamListener {
  try {
    Deno.removeSync(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const listener = Deno.listen({ transport: "unix", path });
  let open = true;
  return {
    endpoint: `ipc://${path}`,
    async accept() {
      const conn = await listener.accept();
      return { stream: conn, peer: `ipc://${path}` };
    },
    close() {
      if (!open) return;
      open = false;
      try {
        listener.close();
      } catch { /* already closed */ }
      try {
        Deno.removeSync(path);
      } catch { /* gone already, or never ours to remove */ }
    },
  };
}

/**
 * Connects to a Unix socket.
 *
 * @example
 * ```ts
 * import { dialIpc } from "./ipc.ts";
 * const stream = await dialIpc("/tmp/zedge-example.sock").catch(() => null);
 * stream?.close();
 * ```
 */
export function dialIpc(path: string): Promise<ByteStream> {
  return Deno.connect({ transport: "unix", path });
}
