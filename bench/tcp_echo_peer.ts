/**
 * The runtime's own limit for REQ/REP: a raw Deno TCP echo, no ZMTP, one
 * process per side, driven over stdio like the other benchmark peers
 * (bench/zmq_process.ts). The record is the size of a 16-byte ZMTP message
 * on the wire (2-byte frame header + 16 bytes), so a round trip moves the
 * same bytes as zedge's REQ/REP 16 B.
 *
 *     deno run --allow-net=127.0.0.1 bench/tcp_echo_peer.ts '{"role":"rep","size":16}'
 *     deno run --allow-net=127.0.0.1 bench/tcp_echo_peer.ts '{"role":"req","endpoint":"tcp://127.0.0.1:P","size":16,"warmup":0.5,"duration":2}'
 *
 * `rep` binds a random loopback port, prints {"endpoint"} and echoes every
 * byte back; `req` sends one record, reads it back whole, and prints
 * {"rate", "count", "seconds"}. Both exit when stdin reaches EOF.
 *
 * With `"read": "posted"` either side keeps a read posted at all times, as
 * zedge's engine does on every connection (the default, `"after-write"`,
 * reads only once its write has finished): the two together measure what a
 * read kept posted costs a round trip (bench/reqrep_probe.ts).
 *
 * @example
 * ```sh
 * deno run --allow-net=127.0.0.1 bench/tcp_echo_peer.ts '{"role":"rep","size":16}'
 * ```
 *
 * @module
 */

/** Bytes of a ZMTP short frame header (flags + size). */
const FRAME_HEADER = 2;

/**
 * The echo peer's configuration.
 *
 * @example
 * ```ts
 * const config: EchoConfig = { role: "rep", size: 16 };
 * ```
 */
export interface EchoConfig {
  role: "rep" | "req";
  endpoint?: string;
  size: number;
  warmup?: number;
  duration?: number;
  /** When a read is made: only after the write (default), or kept posted all the time. */
  read?: "after-write" | "posted";
}

function emit(report: Record<string, unknown>): void {
  console.log(JSON.stringify(report));
}

async function readFull(conn: Deno.Conn, buffer: Uint8Array): Promise<void> {
  for (let got = 0; got < buffer.length;) {
    const n = await conn.read(buffer.subarray(got));
    if (n === null) throw new Error("connection closed");
    got += n;
  }
}

async function echo(conn: Deno.TcpConn): Promise<void> {
  conn.setNoDelay(true);
  const buffer = new Uint8Array(64 * 1024);
  for (;;) {
    const n = await conn.read(buffer);
    if (n === null) return;
    for (let written = 0; written < n;) written += await conn.write(buffer.subarray(written, n));
  }
}

/** Echoes with a read always posted: each chunk's echo is written while the next read waits. */
async function echoPosted(conn: Deno.TcpConn): Promise<void> {
  conn.setNoDelay(true);
  const buffer = new Uint8Array(64 * 1024);
  let writing = Promise.resolve();
  for (;;) {
    const n = await conn.read(buffer);
    if (n === null) return;
    const chunk = buffer.slice(0, n);
    writing = writing.then(async () => {
      for (let written = 0; written < n;) written += await conn.write(chunk.subarray(written));
    });
    writing.catch(() => {
      try {
        conn.close();
      } catch { /* already closed */ }
    });
  }
}

/** A requester whose read loop runs all the time; a round trip waits for its record to come back. */
function postedRoundTrip(conn: Deno.TcpConn, record: Uint8Array): () => Promise<void> {
  const buffer = new Uint8Array(64 * 1024);
  let received = 0;
  const waiting: { arrived: (() => void) | null } = { arrived: null };
  (async () => {
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) throw new Error("connection closed");
      received += n;
      while (received >= record.length && waiting.arrived !== null) {
        received -= record.length;
        const wake = waiting.arrived;
        waiting.arrived = null;
        wake();
      }
    }
  })().catch((error) => {
    console.error(`tcp_echo_peer.ts: ${error.message}`);
    Deno.exit(1);
  });
  return async () => {
    if (received >= record.length) throw new Error("a record came back unasked");
    const { promise, resolve } = Promise.withResolvers<void>();
    waiting.arrived = resolve;
    for (let written = 0; written < record.length;) {
      written += await conn.write(record.subarray(written));
    }
    await promise;
  };
}

async function roundTrips(config: EchoConfig): Promise<Record<string, number>> {
  const url = new URL(config.endpoint!.replace(/^tcp:/, "http:"));
  const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
  conn.setNoDelay(true);
  const record = new Uint8Array(config.size + FRAME_HEADER).fill(0x78);
  const reply = new Uint8Array(record.length);
  const once = config.read === "posted" ? postedRoundTrip(conn, record) : async () => {
    await conn.write(record);
    await readFull(conn, reply);
  };
  const started = performance.now();
  while (performance.now() - started < config.warmup! * 1000) await once();
  const t0 = performance.now();
  let count = 0;
  for (;;) {
    await once();
    count++;
    const seconds = (performance.now() - t0) / 1000;
    if (seconds >= config.duration!) return { rate: count / seconds, count, seconds };
  }
}

async function run(config: EchoConfig): Promise<void> {
  // Ends the process when the runner closes our stdin.
  (async () => {
    for await (const _ of Deno.stdin.readable) { /* only EOF matters */ }
    Deno.exit(0);
  })();
  if (config.role === "rep") {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    emit({ endpoint: `tcp://127.0.0.1:${(listener.addr as Deno.NetAddr).port}` });
    const serve = config.read === "posted" ? echoPosted : echo;
    for await (const conn of listener) serve(conn).catch(() => {});
  } else {
    emit(await roundTrips(config));
  }
}

if (import.meta.main) {
  try {
    const config = JSON.parse(Deno.args[0] ?? "") as EchoConfig;
    if (config.role !== "rep" && config.role !== "req") throw new Error("role must be rep or req");
    await run(config);
    Deno.exit(0);
  } catch (error) {
    console.error(`tcp_echo_peer.ts: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
