// The guard in front of the robot's HTTP servers (robot/http_guard.ts) against a hostile host on
// the LAN: thousands of connections that send half a request head, from many addresses, against a
// real `zedge robot run`. Counted in the supervisor's own descriptors (/proc/PID/fd).
import assert from "node:assert/strict";
import net from "node:net";
import { dirname } from "node:path";
import type { Logger } from "@logtape/logtape";
import {
  HEAD_DEADLINE_MS,
  HttpGuard,
  MAX_CONNECTIONS_PER_ADDRESS,
  MAX_GUARDED_CONNECTIONS,
  MAX_HEAD_BYTES,
} from "../../robot/http_guard.ts";
import { CALM, freeTcpPort, rawGet, robotDir, robotYaml, spawnRobot, waitFor } from "./helpers.ts";
import { tempDir } from "../core/helpers.ts";

/** As many as the review that found the hole opened. */
const FLOOD = 3000;
/** The flood comes from 127.0.0.2 … 127.0.0.31: more addresses than the total cap lets in. */
const SOURCES = 30;
/** Descriptors the supervisor may open meanwhile for other reasons (timers, a log write). */
const SLACK_FDS = 16;

function openFds(pid: number): number {
  return [...Deno.readDirSync(`/proc/${pid}/fd`)].length;
}

/** A connection that sends half a request head and nothing more. */
interface SlowClient {
  socket: net.Socket;
  source: string;
  openedAt: number;
  closedAt: number | null;
}

function slowClient(port: number, source: string): Promise<SlowClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port, localAddress: source });
    const client: SlowClient = { socket, source, openedAt: 0, closedAt: null };
    socket.on("error", () => {/* reset by the guard: "close" follows */});
    socket.on("close", () => client.closedAt = performance.now());
    socket.once("connect", () => {
      client.openedAt = performance.now();
      socket.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ", () => resolve(client));
    });
    socket.once("error", reject);
  });
}

Deno.test("status page under a slowloris flood: heads have a deadline, the caps hold, a real client is served", async () => {
  const port = freeTcpPort();
  const controlDir = await tempDir("zedge-guard-control-");
  const dir = await robotDir({
    "calm.ts": CALM,
    "robot.yaml": robotYaml(
      "  calm: { kind: node, module: ./calm.ts }\n",
      `status: 127.0.0.1:${port}\ncontrol: ipc://${controlDir}/test-bot.sock\n`,
    ),
  });
  const running = await spawnRobot(`${dir}/robot.yaml`);
  const pid = running.child.pid;
  const address = `127.0.0.1:${port}`;
  const flood: SlowClient[] = [];
  try {
    await running.waitFor(/status page at http:\/\/127\.0\.0\.1:\d+\//);
    assert.equal((await rawGet(address, "/status.json")).status, 200);
    const before = openFds(pid);

    for (let i = 0; i < FLOOD; i += 100) {
      flood.push(
        ...await Promise.all(
          Array.from(
            { length: 100 },
            (_, j) => slowClient(port, `127.0.0.${2 + (i + j) % SOURCES}`),
          ),
        ),
      );
    }
    const open = () => flood.filter((c) => c.closedAt === null);
    // Past the caps, each newcomer took the place of the oldest connection still sending its head.
    await waitFor(
      () => open().length <= MAX_GUARDED_CONNECTIONS,
      `the guard to hold at most ${MAX_GUARDED_CONNECTIONS} (${open().length} open)`,
    );
    const held = openFds(pid) - before;
    assert.ok(
      held <= MAX_GUARDED_CONNECTIONS + SLACK_FDS,
      `the supervisor holds ${held} more descriptors during a flood of ${FLOOD}`,
    );
    const perSource = Map.groupBy(open(), (c) => c.source);
    for (const [source, clients] of perSource) {
      assert.ok(clients.length <= MAX_CONNECTIONS_PER_ADDRESS, `${clients.length} from ${source}`);
    }

    // A real client, while the flood's connections are held (long before their deadline).
    const servedAt = performance.now();
    const page = await rawGet(address, "/");
    assert.equal(page.status, 200);
    assert.match(page.body, /<html/i);
    assert.ok(open().length > 0, "the flood was still held when the page was served");
    assert.ok(performance.now() - servedAt < HEAD_DEADLINE_MS / 2);

    // What is left of the flood is closed at its deadline, not before.
    await waitFor(
      () => open().length === 0,
      "every slow connection to be closed",
      HEAD_DEADLINE_MS + 10_000,
    );
    const survivors = flood.filter((c) => c.closedAt! - c.openedAt > HEAD_DEADLINE_MS / 2);
    assert.ok(survivors.length > 0);
    for (const c of survivors) {
      assert.ok(
        c.closedAt! - c.openedAt >= HEAD_DEADLINE_MS - 50,
        `closed after ${c.closedAt! - c.openedAt} ms`,
      );
    }
    await waitFor(
      () => openFds(pid) <= before + 2,
      `the supervisor's descriptors to be freed (${openFds(pid)} of ${before})`,
    );

    // The robot's log names a source of the flood, and is not one line per connection.
    await running.waitFor(/status page: dropped \d+ connection\(s\) from 127\.0\.0\.\d+ \(/);
    const lines = (running.stdout() + running.stderr()).split("\n")
      .filter((line) => line.includes("status page: dropped"));
    assert.ok(lines.length <= 3, `${lines.length} log lines about drops`);
    assert.equal((await rawGet(address, "/status.json")).status, 200);
  } finally {
    for (const c of flood) c.socket.destroy();
    const exit = await running.stop();
    assert.equal(exit.code, 0, running.stderr());
  }
});

Deno.test("http guard: a head split byte by byte is served, one past 64 KiB is dropped, the socket directory is private", async () => {
  const lines: string[] = [];
  const log = { warn: (message: string) => lines.push(message) } as unknown as Logger;
  const guard = new HttpGuard("127.0.0.1", 0, { page: "test page", log });
  let socketPath = "";
  const addr = await guard.start((path) => {
    socketPath = path;
    return Deno.serve(
      { transport: "unix", path, onListen: () => {} },
      (request) => new Response(new URL(request.url).pathname),
    );
  });
  try {
    assert.equal((await Deno.stat(dirname(socketPath))).mode! & 0o777, 0o700);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: addr.port });
    const request = new TextEncoder().encode(
      "GET /split HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    );
    for (let i = 0; i < request.length; i++) {
      await conn.write(request.subarray(i, i + 1));
      if (i % 8 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const answer = await new Response(conn.readable).text();
    assert.match(answer, /^HTTP\/1\.1 200 /);
    assert.match(answer, /\/split$/);

    const long = await Deno.connect({ hostname: "127.0.0.1", port: addr.port });
    const header = new TextEncoder().encode(`GET / HTTP/1.1\r\nX-Long: ${"a".repeat(1024)}\r\n`);
    let closed = false;
    try {
      for (let sent = 0; sent <= MAX_HEAD_BYTES + header.length; sent += header.length) {
        await long.write(header);
      }
      // The guard closed it: the next read ends (or is reset).
      closed = (await long.read(new Uint8Array(1))) === null;
    } catch {
      closed = true;
    } finally {
      long.close();
    }
    assert.ok(closed);
    assert.equal(guard.connections, 0);
    assert.match(lines[0], /test page: dropped \{count\} connection/);
  } finally {
    await guard.close();
  }
  await assert.rejects(Deno.stat(socketPath), Deno.errors.NotFound);
});
