/**
 * Transports: bind or connect an endpoint string and get byte streams.
 *
 * @example
 * ```ts
 * import { dial, listen } from "./mod.ts";
 * const listener = listen("tcp://127.0.0.1:0");
 * const client = await dial(listener.endpoint);
 * const { stream } = await listener.accept();
 * client.close(); stream.close(); listener.close();
 * ```
 * @module
 */
import { EndpointError, parseEndpoint } from "./endpoint.ts";
import { dialInprocAnywhere, listenInproc } from "./inproc.ts";
import { dialIpc, listenIpc } from "./ipc.ts";
import type { ByteStream, StreamListener } from "./stream.ts";
import { dialTcp, listenTcp } from "./tcp.ts";

export * from "./endpoint.ts";
export * from "./stream.ts";
export { PortStream } from "./port_stream.ts";
export { deliverInproc, type InprocBridge, installInprocBridge } from "./inproc.ts";

/**
 * Binds an endpoint. Throws `EndpointError` for a malformed endpoint and the
 * runtime's error (`Deno.errors.AddrInUse`, `NotCapable`, ...) otherwise.
 *
 * @example
 * ```ts
 * import { listen } from "./mod.ts";
 * const l = listen("inproc://example");
 * l.close();
 * ```
 */
export function listen(endpoint: string): StreamListener {
  const parsed = parseEndpoint(endpoint);
  switch (parsed.transport) {
    case "tcp":
      return listenTcp(parsed.host, parsed.port);
    case "ipc":
      return listenIpc(parsed.path);
    case "inproc":
      return listenInproc(parsed.name);
  }
}

/**
 * Connects to an endpoint once (no retry; the socket layer owns reconnects);
 * `signal` gives up a TCP connect in progress.
 *
 * @example
 * ```ts
 * import { dial } from "./mod.ts";
 * const s = await dial("tcp://127.0.0.1:1").catch((e) => e);
 * ```
 */
export async function dial(endpoint: string, signal?: AbortSignal): Promise<ByteStream> {
  const parsed = parseEndpoint(endpoint);
  switch (parsed.transport) {
    case "tcp":
      if (parsed.wildcardHost) {
        throw new EndpointError(
          endpoint,
          "'*' can be bound, not connected to",
        );
      }
      return await dialTcp(parsed.host, parsed.port, signal);
    case "ipc":
      return await dialIpc(parsed.path);
    case "inproc":
      return await dialInprocAnywhere(parsed.name);
  }
}
