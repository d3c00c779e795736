/**
 * Subprocess helpers of the task tests: start `zedge` commands and the
 * Python ZTL peers, read their output while they run, stop them.
 *
 * @module
 */
import { PYTHON, repoPath } from "./helpers.ts";

/** A running child whose output is being collected. */
export interface Running {
  child: Deno.ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout+stderr (rejects after `timeoutMs`). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends SIGTERM (closing stdin first), then resolves with the exit status. */
  stop(): Promise<Deno.CommandStatus>;
  status: Promise<Deno.CommandStatus>;
}

/**
 * Decodes `stream` into `sink` as it comes. Each stream has a decoder of its
 * own: a character split across two chunks is held by the decoder until its
 * next bytes come, which one shared by every stream would take from another.
 */
function collect(stream: ReadableStream<Uint8Array>, sink: (text: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  return stream.pipeTo(
    new WritableStream({
      write: (chunk) => sink(decoder.decode(chunk, { stream: true })),
      close: () => sink(decoder.decode()),
    }),
  ).catch(() => {});
}

/** Spawns `command args`, collecting its output; stdin is piped (write or close it). */
export function spawn(
  command: string,
  args: string[],
  stdin: "piped" | "null" = "piped",
  env: Record<string, string> = {},
  cwd: string = repoPath(""),
): Running {
  const child = new Deno.Command(command, {
    args,
    stdin,
    stdout: "piped",
    stderr: "piped",
    cwd,
    env: { NO_COLOR: "1", PYTHONDONTWRITEBYTECODE: "1", ...env },
  }).spawn();
  let out = "";
  let err = "";
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((w) => w());
  const outDone = collect(child.stdout, (t) => {
    out += t;
    notify();
  });
  const errDone = collect(child.stderr, (t) => {
    err += t;
    notify();
  });
  const status = Promise.all([child.status, outDone, errDone]).then(([s]) => s);
  status.then(notify);
  let stdinOpen = stdin === "piped";
  const running: Running = {
    child,
    stdout: () => out,
    stderr: () => err,
    status,
    waitFor(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        let exited = false;
        // Checked again once it exits, or a pattern that never comes would wait out the timeout.
        status.then(() => {
          exited = true;
          check();
        });
        const check = () => {
          const match = (out + err).match(pattern);
          if (match) {
            finish();
            resolve(match);
          } else if (exited) {
            finish();
            reject(new Error(`exited before ${pattern}:\n${out}\n${err}`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`timed out waiting for ${pattern}:\n${out}\n${err}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async stop() {
      if (stdinOpen) {
        stdinOpen = false;
        await child.stdin.close().catch(() => {});
      }
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      return await status;
    },
  };
  return running;
}

/** Runs `command args` to completion with `input` on stdin. */
export async function run(
  command: string,
  args: string[],
  input = "",
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(command, args, "piped", env);
  const writer = child.child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input)).catch(() => {});
  await writer.close().catch(() => {});
  const status = await child.status;
  return { code: status.code, stdout: child.stdout(), stderr: child.stderr() };
}

/** Arguments that run the zedge CLI from this checkout. */
export function zedgeArgs(...args: string[]): string[] {
  return ["run", "-A", "--unstable-worker-options", repoPath("cli/main.ts"), ...args];
}

/** Runs a zedge CLI command to completion. */
export function zedge(args: string[], input = "", env: Record<string, string> = {}) {
  return run(Deno.execPath(), zedgeArgs(...args), input, env);
}

/** Starts `zedge task-server` on loopback with random ports; resolves once it listens. */
export async function startZedgeServer(...extra: string[]) {
  const server = spawn(
    Deno.execPath(),
    zedgeArgs("task-server", "-b", "tcp://127.0.0.1:0", ...extra),
  );
  const [, port] = await server.waitFor(/Task Server listening at 'tcp:\/\/127\.0\.0\.1:(\d+)'/);
  const events = extra.includes("-e")
    ? (await server.waitFor(/changes at 'tcp:\/\/127\.0\.0\.1:(\d+)'/))[1]
    : undefined;
  return { server, port: Number(port), events: events ? Number(events) : undefined };
}

/** Starts the Python ZTL server on loopback; resolves once it listens. */
export async function startPythonServer(...scopes: string[]) {
  const server = spawn(PYTHON, [repoPath("tests/peers/python/ztl_server.py"), ...scopes]);
  const [, port] = await server.waitFor(/LISTENING tcp:\/\/127\.0\.0\.1:(\d+)/);
  return { server, port: Number(port) };
}

/** Runs the Python ZTL client with `args`. */
export function pythonClient(...args: string[]) {
  return run(PYTHON, [repoPath("tests/peers/python/ztl_client.py"), ...args]);
}
