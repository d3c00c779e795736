/**
 * The "tasks" benchmark section: how fast a waiting client learns that a
 * remote task finished, with zedge's pushed state changes side by side with
 * ZTL's 100 ms status polling, in the same run against the same server; plus
 * request round trips per second of zedge's task server next to a pyzmq REP
 * server speaking the same protocol (tests/peers/python/ztl_server.py).
 *
 * The task server runs as its own process (`zedge task-server` with
 * `--events`). Completion latency = the moment the waiting client's `wait()`
 * returns minus the server's completion timestamp (the `time` of the
 * COMPLETED event, wall clock, same machine). Tasks are `test:sleep` with
 * random lengths so completions fall anywhere within a polling period.
 *
 * Flags: `--quick` (fewer tasks, shorter windows). Unknown flags are ignored.
 *
 * @example
 * ```sh
 * deno run -A bench/tasks.ts --quick
 * ```
 *
 * @module
 */
import { TaskClient } from "../core/tasks/client.ts";
import { TaskEventListener } from "../core/tasks/event_listener.ts";
import { TaskState } from "../core/tasks/protocol.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const quick = Deno.args.includes("--quick");
const TASKS_PER_MODE = quick ? 10 : 40;
const WINDOW_MS = quick ? 500 : 1500;

interface Server {
  port: number;
  events?: number;
  stop(): Promise<void>;
}

async function spawnServer(command: string, args: string[], pattern: RegExp): Promise<Server> {
  const child = new Deno.Command(command, {
    args,
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", PYTHONDONTWRITEBYTECODE: "1" },
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  const found = new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${text}`)), 20_000);
    const read = async (stream: ReadableStream<Uint8Array>) => {
      for await (const chunk of stream) {
        text += decoder.decode(chunk, { stream: true });
        const match = text.match(pattern);
        if (match) {
          clearTimeout(timer);
          resolve(match);
        }
      }
    };
    read(child.stdout).catch(() => {});
    read(child.stderr).catch(() => {});
  });
  const match = await found;
  return {
    port: Number(match[1]),
    events: match[2] ? Number(match[2]) : undefined,
    async stop() {
      await child.stdin.close().catch(() => {});
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await child.status;
    },
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const now = () => performance.timeOrigin + performance.now();

/** Runs tasks one at a time; returns completion→wait-return latencies in ms. */
async function completionLatencies(
  port: number,
  events: number | undefined,
  completedAt: Map<number, number>,
): Promise<number[]> {
  const client = new TaskClient({
    host: "127.0.0.1",
    port,
    scope: "/bench",
    events: events ? `tcp://127.0.0.1:${events}` : undefined,
  });
  const latencies: number[] = [];
  try {
    if (events) {
      while (!client.eventsConnected) await new Promise((resolve) => setTimeout(resolve, 10));
      // The subscription can still be in flight right after connecting.
      await client.run({ handler: "test", component: "sleep", goal: "0.05" }, { timeoutMs: 5000 });
    }
    for (let i = 0; i < TASKS_PER_MODE; i++) {
      const seconds = (20 + Math.random() * 80) / 1000;
      const { id } = await client.trigger({
        handler: "test",
        component: "sleep",
        goal: `${seconds}`,
      });
      const status = await client.wait(id, { timeoutMs: 10_000 });
      const returned = now();
      if (status.state !== TaskState.COMPLETED) throw new Error(`task ${id} ended ${status.state}`);
      // The observer sees the event at about the same moment; give it a tick.
      for (let tries = 0; !completedAt.has(id) && tries < 100; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      const completed = completedAt.get(id);
      if (completed === undefined) throw new Error(`no COMPLETED event seen for task ${id}`);
      latencies.push(Math.max(0, returned - completed));
    }
  } finally {
    await client.close();
  }
  return latencies;
}

/** Sequential STATUS round trips per second over `WINDOW_MS`, from `clients` clients at once. */
async function roundTrips(port: number, clients: number): Promise<number> {
  const all = Array.from(
    { length: clients },
    () => new TaskClient({ host: "127.0.0.1", port, scope: "/bench", timeoutMs: 5000 }),
  );
  try {
    const { id } = await all[0].trigger({ handler: "test", component: "echo", goal: "x" });
    await Promise.all(all.map((c) => c.status(id))); // connect and warm up
    let count = 0;
    const end = performance.now() + WINDOW_MS;
    const started = performance.now();
    await Promise.all(all.map(async (client) => {
      while (performance.now() < end) {
        await client.status(id);
        count++;
      }
    }));
    return count / ((performance.now() - started) / 1000);
  } finally {
    await Promise.all(all.map((c) => c.close()));
  }
}

function row(cells: (string | number)[]): string {
  return `| ${cells.join(" | ")} |`;
}

function ms(value: number): string {
  return value.toFixed(1);
}

if (import.meta.main) {
  const zedge = await spawnServer(
    Deno.execPath(),
    [
      "run",
      "-A",
      `${ROOT}cli/main.ts`,
      "task-server",
      "-b",
      "tcp://127.0.0.1:0",
      "-s",
      "/bench",
      "-e",
      "tcp://127.0.0.1:0",
    ],
    /listening at 'tcp:\/\/127\.0\.0\.1:(\d+)'[\s\S]*changes at 'tcp:\/\/127\.0\.0\.1:(\d+)'/,
  );
  const completedAt = new Map<number, number>();
  const observer = new TaskEventListener({
    endpoint: `tcp://127.0.0.1:${zedge.events}`,
    scope: "/bench",
  });
  observer.onAny((event) => {
    if (event.state === TaskState.COMPLETED) completedAt.set(event.id, event.time);
  });
  let failed = false;
  try {
    while (!observer.connected) await new Promise((resolve) => setTimeout(resolve, 10));
    const pushed = (await completionLatencies(zedge.port, zedge.events, completedAt)).sort((a, b) =>
      a - b
    );
    const polled = (await completionLatencies(zedge.port, undefined, completedAt)).sort((a, b) =>
      a - b
    );
    console.log(
      `Completion → waiting client (${TASKS_PER_MODE} test:sleep tasks of 20–100 ms each, one at a time; ms):\n`,
    );
    console.log(row(["wait mode", "median", "p95", "max", "mean"]));
    console.log(row(["---", "---:", "---:", "---:", "---:"]));
    for (
      const [name, values] of [["zedge events (push)", pushed], [
        "ZTL polling, 100 ms",
        polled,
      ]] as const
    ) {
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      console.log(
        row([
          name,
          ms(percentile(values, 50)),
          ms(percentile(values, 95)),
          ms(values[values.length - 1]),
          ms(mean),
        ]),
      );
    }
    const ratio = percentile(polled, 50) / Math.max(percentile(pushed, 50), 0.01);
    console.log(
      `\nmedian: push is ${
        ratio.toFixed(0)
      }x faster; target: completion reaches the client within 5 ms ` +
        `(p95 push ${ms(percentile(pushed, 95))} ms: ${
          percentile(pushed, 95) <= 5 ? "met" : "NOT met"
        })`,
    );

    const python = await spawnServer(
      "/usr/bin/python3",
      [`${ROOT}tests/peers/python/ztl_server.py`, "/bench"],
      /LISTENING tcp:\/\/127\.0\.0\.1:(\d+)/,
    ).catch((error) => {
      console.log(`\n(pyzmq ZTL server not available: ${(error as Error).message.split("\n")[0]})`);
      return undefined;
    });
    try {
      console.log(
        `\nSTATUS round trips per second (TypeScript ZTL client, ${WINDOW_MS} ms windows):\n`,
      );
      console.log(
        row(["clients", "zedge task-server (ROUTER)", "pyzmq ZTL server (REP)", "ratio"]),
      );
      console.log(row(["---:", "---:", "---:", "---:"]));
      for (const clients of [1, 10]) {
        const z = await roundTrips(zedge.port, clients);
        const p = python ? await roundTrips(python.port, clients) : NaN;
        console.log(
          row([
            clients,
            z.toFixed(0),
            python ? p.toFixed(0) : "–",
            python ? `${(z / p).toFixed(2)}x` : "–",
          ]),
        );
      }
    } finally {
      await python?.stop();
    }
  } catch (error) {
    failed = true;
    console.log(`tasks bench FAILED: ${(error as Error).message}`);
  } finally {
    await observer.close();
    await zedge.stop();
  }
  Deno.exit(failed ? 1 : 0);
}
