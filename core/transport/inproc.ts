/**
 * In-process transport: a pair of in-memory byte pipes, no kernel sockets and
 * no permissions. Names are visible within one isolate (one Web Worker), the
 * way libzmq's inproc names are visible within one context — and, once an
 * {@link InprocBridge} is installed (the robot runtime installs one in every
 * component), across the isolates of one process: a name bound in one
 * Worker is dialled from another over a `MessagePort` ({@link PortStream}).
 *
 * @module
 */
import type { ByteStream, StreamListener } from "./stream.ts";

/** A writer waits once this many bytes sit unread, so a slow reader bounds memory. */
const PIPE_LIMIT = 1024 * 1024;

class BytePipe {
  chunks: Uint8Array[] = [];
  head = 0;
  bytes = 0;
  closed = false;
  #readers: (() => void)[] = [];
  #writers: (() => void)[] = [];

  wakeReaders(): void {
    const readers = this.#readers;
    this.#readers = [];
    for (const wake of readers) wake();
  }
  wakeWriters(): void {
    const writers = this.#writers;
    this.#writers = [];
    for (const wake of writers) wake();
  }
  readable(): Promise<void> {
    return new Promise((resolve) => this.#readers.push(resolve));
  }
  writable(): Promise<void> {
    return new Promise((resolve) => this.#writers.push(resolve));
  }
  close(): void {
    this.closed = true;
    this.wakeReaders();
    this.wakeWriters();
  }
}

class InprocStream implements ByteStream {
  readonly #in: BytePipe;
  readonly #out: BytePipe;
  constructor(inbound: BytePipe, outbound: BytePipe) {
    this.#in = inbound;
    this.#out = outbound;
  }

  async read(buffer: Uint8Array): Promise<number | null> {
    const pipe = this.#in;
    while (pipe.bytes === 0) {
      if (pipe.closed) return null;
      await pipe.readable();
    }
    let copied = 0;
    while (copied < buffer.length && pipe.chunks.length > 0) {
      const chunk = pipe.chunks[0];
      const take = Math.min(chunk.length - pipe.head, buffer.length - copied);
      buffer.set(chunk.subarray(pipe.head, pipe.head + take), copied);
      copied += take;
      pipe.head += take;
      if (pipe.head === chunk.length) {
        pipe.chunks.shift();
        pipe.head = 0;
      }
    }
    pipe.bytes -= copied;
    if (pipe.bytes < PIPE_LIMIT) pipe.wakeWriters();
    return copied;
  }

  async write(data: Uint8Array): Promise<number> {
    const pipe = this.#out;
    if (pipe.closed) throw new Deno.errors.BrokenPipe("inproc peer closed");
    // Copy: the writer reuses its buffer once this promise resolves.
    pipe.chunks.push(data.slice());
    pipe.bytes += data.length;
    pipe.wakeReaders();
    while (pipe.bytes >= PIPE_LIMIT && !pipe.closed) await pipe.writable();
    return data.length;
  }

  close(): void {
    this.#in.close();
    this.#out.close();
  }
}

interface InprocListener extends StreamListener {
  deliver(stream: ByteStream): void;
}

const registry = new Map<string, InprocListener>();

/**
 * How inproc names reach other isolates of the process. The transport tells
 * the bridge what this isolate binds; the bridge tells the transport what
 * others bind and dials them.
 *
 * @example
 * ```ts
 * import type { InprocBridge } from "./inproc.ts";
 * const none: InprocBridge = {
 *   announce: () => {},
 *   isBound: () => false,
 *   dial: (name) => Promise.reject(new Deno.errors.ConnectionRefused(name)),
 * };
 * ```
 */
export interface InprocBridge {
  /** This isolate bound (`true`) or released (`false`) `name`. */
  announce(name: string, bound: boolean): void;
  /** True while another isolate has `name` bound. */
  isBound(name: string): boolean;
  /** Connects to `name` bound in another isolate; rejects ConnectionRefused when none is. */
  dial(name: string): Promise<ByteStream>;
  /**
   * Throws (`Deno.errors.NotCapable`, naming what to declare) when this
   * isolate may not bind `name`; a bridge without it lets every bind through.
   */
  permitBind?(name: string): void;
}

let bridge: InprocBridge | null = null;

/**
 * The bridge for `name`: none for names that stay in their isolate. A ZAP
 * handler (RFC 27, `inproc://zeromq.zap.01`) answers for the sockets of its
 * own context, so each robot component has its own.
 */
function bridgeFor(name: string): InprocBridge | null {
  return name === "zeromq.zap.01" ? null : bridge;
}

/**
 * Installs the bridge of this isolate (one at a most; `null` removes it).
 * Names already bound are announced to it.
 *
 * @example
 * ```ts
 * import { installInprocBridge } from "./inproc.ts";
 * installInprocBridge(null);
 * ```
 */
export function installInprocBridge(next: InprocBridge | null): void {
  bridge = next;
  for (const name of registry.keys()) bridgeFor(name)?.announce(name, true);
}

/**
 * Hands a stream that arrived from another isolate to the listener bound at
 * `name`; false (and the stream closed) when nothing is bound here.
 *
 * @example
 * ```ts
 * import { deliverInproc } from "./inproc.ts";
 * import { PortStream } from "./port_stream.ts";
 * const { port1 } = new MessageChannel();
 * deliverInproc("nowhere", new PortStream(port1)); // false
 * ```
 */
export function deliverInproc(name: string, stream: ByteStream): boolean {
  const listener = registry.get(name);
  if (listener === undefined) {
    stream.close();
    return false;
  }
  listener.deliver(stream);
  return true;
}

/**
 * Binds an inproc name. A second bind of the same live name fails with
 * `Deno.errors.AddrInUse`.
 *
 * @example
 * ```ts
 * import { listenInproc } from "./inproc.ts";
 * const listener = listenInproc("jobs");
 * listener.close();
 * ```
 */
export function listenInproc(name: string): StreamListener {
  bridgeFor(name)?.permitBind?.(name);
  if (registry.has(name) || bridgeFor(name)?.isBound(name)) {
    throw new Deno.errors.AddrInUse(`inproc://${name} is already bound`);
  }
  const pending: ByteStream[] = [];
  let waiter: ((stream: ByteStream | null) => void) | null = null;
  let open = true;
  const listener: InprocListener = {
    endpoint: `inproc://${name}`,
    deliver(stream) {
      if (waiter) {
        const wake = waiter;
        waiter = null;
        wake(stream);
      } else pending.push(stream);
    },
    async accept() {
      const ready = pending.shift();
      if (ready) return { stream: ready, peer: `inproc://${name}` };
      if (!open) throw new Deno.errors.BadResource("inproc listener closed");
      const stream = await new Promise<ByteStream | null>((resolve) => waiter = resolve);
      if (stream === null) throw new Deno.errors.BadResource("inproc listener closed");
      return { stream, peer: `inproc://${name}` };
    },
    close() {
      if (!open) return;
      open = false;
      if (registry.get(name) === listener) {
        registry.delete(name);
        bridgeFor(name)?.announce(name, false);
      }
      for (const stream of pending.splice(0)) stream.close();
      if (waiter) {
        const wake = waiter;
        waiter = null;
        wake(null);
      }
    },
  };
  registry.set(name, listener);
  bridgeFor(name)?.announce(name, true);
  return listener;
}

/**
 * Connects to a bound inproc name; fails with `Deno.errors.ConnectionRefused`
 * while nothing is bound there (the socket layer retries like any transport).
 *
 * @example
 * ```ts
 * import { dialInproc, listenInproc } from "./inproc.ts";
 * const listener = listenInproc("demo");
 * const client = dialInproc("demo");
 * const { stream } = await listener.accept();
 * client.close(); stream.close(); listener.close();
 * ```
 */
export function dialInproc(name: string): ByteStream {
  const listener = registry.get(name);
  if (!listener) throw new Deno.errors.ConnectionRefused(`nothing is bound at inproc://${name}`);
  const toServer = new BytePipe();
  const toClient = new BytePipe();
  listener.deliver(new InprocStream(toServer, toClient));
  return new InprocStream(toClient, toServer);
}

/**
 * True while something is bound at the inproc name (lets a connecting socket
 * retry at once when the binder appears).
 *
 * @example
 * ```ts
 * import { isInprocBound } from "./inproc.ts";
 * isInprocBound("nothing-here"); // false
 * ```
 */
export function isInprocBound(name: string): boolean {
  return registry.has(name) || (bridgeFor(name)?.isBound(name) ?? false);
}

/**
 * Connects to an inproc name bound in this isolate, or through the bridge in
 * another one; rejects with `Deno.errors.ConnectionRefused` while nothing is
 * bound anywhere.
 *
 * @example
 * ```ts
 * import { dialInprocAnywhere, listenInproc } from "./inproc.ts";
 * const listener = listenInproc("anywhere-demo");
 * const client = await dialInprocAnywhere("anywhere-demo");
 * client.close(); listener.close();
 * ```
 */
export function dialInprocAnywhere(name: string): Promise<ByteStream> {
  if (registry.has(name) || bridge === null) return Promise.resolve().then(() => dialInproc(name));
  return bridge.dial(name);
}
