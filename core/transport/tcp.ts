/**
 * TCP transport on `Deno.listen` / `Deno.connect`, with Nagle disabled:
 * ZMTP batches frames itself, and a delayed small REQ/REP message would cost
 * a full delayed-ACK round.
 *
 * @module
 */
import { formatTcpEndpoint } from "./endpoint.ts";
import type { ByteStream, StreamListener } from "./stream.ts";

/**
 * Binds a TCP listener. Port 0 picks a free port, readable from `endpoint`.
 *
 * @example
 * ```ts
 * import { listenTcp } from "./tcp.ts";
 * const listener = listenTcp("127.0.0.1", 0);
 * console.log(listener.endpoint); // tcp://127.0.0.1:NNNNN
 * listener.close();
 * ```
 */
export function listenTcp(host: string, port: number): StreamListener {
  const listener = Deno.listen({ transport: "tcp", hostname: host, port });
  const addr = listener.addr as Deno.NetAddr;
  return {
    endpoint: formatTcpEndpoint(addr.hostname, addr.port),
    async accept() {
      const conn = await listener.accept();
      tune(conn);
      const remote = conn.remoteAddr as Deno.NetAddr;
      return { stream: conn, peer: formatTcpEndpoint(remote.hostname, remote.port) };
    },
    close() {
      try {
        listener.close();
      } catch { /* already closed */ }
    },
  };
}

/**
 * Connects to a TCP endpoint (host names are resolved by Deno). `signal`
 * gives up a connect in progress: to a host that drops packets, the
 * kernel's own connect timeout is about two minutes (SYN retries), which
 * would otherwise hold up whoever closes the socket.
 *
 * @example
 * ```ts
 * import { dialTcp } from "./tcp.ts";
 * const stream = await dialTcp("127.0.0.1", 5555).catch(() => null);
 * stream?.close();
 * ```
 */
export async function dialTcp(
  host: string,
  port: number,
  signal?: AbortSignal,
): Promise<ByteStream> {
  const conn = await Deno.connect({ transport: "tcp", hostname: host, port, signal });
  tune(conn);
  return conn;
}

function tune(conn: Deno.TcpConn): void {
  try {
    conn.setNoDelay(true);
    conn.setKeepAlive(true);
  } catch { /* the peer may already be gone; the read loop will notice */ }
}
