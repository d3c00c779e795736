/**
 * `zedge demo` (`deno task demo`): the README's main demo. Starts a task
 * server in this process on a random loopback port (with the events channel),
 * runs a client through echo, print, a short sleep, a sleep that gets aborted
 * and a rejected task, printing ZTL's client lines, then shuts down.
 *
 * @module
 */
import type { Command } from "commander";
import { TaskClient } from "../core/tasks/client.ts";
import { TaskRejectedError } from "../core/tasks/errors.ts";
import { encodeTask, stateName, type TaskSpec, TaskState } from "../core/tasks/protocol.ts";
import { TaskServer } from "../core/tasks/server.ts";
import { TestController } from "../core/tasks/test_controller.ts";
import { CliError } from "./errors.ts";
import { setupTaskLogging } from "./tasks_common.ts";

const SCOPE = "/demo";

/**
 * Runs the demo, writing its lines through `write`; resolves when the server
 * is shut down. Throws if any step does not end as expected.
 *
 * @example
 * ```ts
 * import { runDemo } from "./demo.ts";
 * await runDemo((line) => console.log(line));
 * ```
 */
export async function runDemo(write: (line: string) => void): Promise<void> {
  const server = new TaskServer({
    endpoint: "tcp://127.0.0.1:0",
    events: "tcp://127.0.0.1:0",
    controllers: {
      [SCOPE]: new TestController({ print: (text) => write(`[server prints] ${text}`) }),
    },
  });
  await server.start();
  const endpoint = server.endpoint!;
  const client = new TaskClient({ endpoint, scope: SCOPE, events: server.eventsEndpoint! });
  const problems: string[] = [];
  try {
    write(
      `Connecting to '${endpoint}' at scope '${SCOPE}' (events at '${server.eventsEndpoint}')...`,
    );
    // Give the events channel a moment so waits are woken by pushed events, not polls.
    for (let i = 0; i < 50 && !client.eventsConnected; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }

    const run = async (spec: TaskSpec, expected: number, abortAfterMs?: number) => {
      const request = encodeTask(spec.handler, spec.component, spec.goal);
      write("");
      write(
        `Triggering task ${spec.handler}:${spec.component}:${spec.goal} with request '${request}'...`,
      );
      let id: number;
      try {
        const triggered = await client.trigger(spec);
        id = triggered.id;
        write(`Initialised task with ID '${id}'. Reply is '${triggered.payload}'.`);
      } catch (error) {
        if (!(error instanceof TaskRejectedError)) throw error;
        write(`Task '${error.id}' could not be triggered: '${error.reply}'.`);
        if (expected !== TaskState.REJECTED) problems.push(`${spec.component} was rejected`);
        return;
      }
      const started = performance.now();
      if (abortAfterMs !== undefined) {
        await new Promise((resolve) => setTimeout(resolve, abortAfterMs));
        const progress = await client.status(id);
        write(
          `Task with ID '${id}' is '${
            stateName(progress.state)
          }': '${progress.payload}'. Aborting...`,
        );
        const aborted = await client.abort(id);
        write(`Abort replied '${stateName(aborted.state)}': '${aborted.payload}'.`);
      }
      const status = await client.wait(id, { timeoutMs: 10_000 });
      const took = (performance.now() - started).toFixed(1);
      write(
        `Task with ID '${id}' finished in state '${
          stateName(status.state)
        }' while waiting (${took} ms). Result is '${status.payload}'.`,
      );
      if (status.state !== expected) {
        problems.push(
          `${spec.component} ended ${stateName(status.state)}, expected ${stateName(expected)}`,
        );
      }
    };

    await run({
      handler: "test",
      component: "echo",
      goal: "hello from zedge; goals may hold ':' and ';'",
    }, TaskState.COMPLETED);
    await run(
      { handler: "test", component: "print", goal: "printed by the server" },
      TaskState.COMPLETED,
    );
    await run({ handler: "test", component: "sleep", goal: "0.5" }, TaskState.COMPLETED);
    await run({ handler: "test", component: "sleep", goal: "30" }, TaskState.ABORTED, 300);
    await run({ handler: "robot", component: "dance", goal: "now" }, TaskState.REJECTED);
    write("");
    write(
      `Waits were woken by ${
        client.eventsConnected ? "pushed state changes (events channel)" : "100 ms polling"
      }.`,
    );
  } finally {
    await client.close();
    await server.close();
    write("Server shut down.");
  }
  if (problems.length > 0) {
    throw new CliError(`demo did not go as expected: ${problems.join("; ")}`);
  }
}

/**
 * Registers `zedge demo`.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { register } from "./demo.ts";
 * register(new Command("zedge"));
 * ```
 */
export function register(program: Command): void {
  program
    .command("demo")
    // Bad flags get one line, not the whole help.
    .showHelpAfterError(false)
    .description(
      "start a task server in-process on a random loopback port, run tasks against it (one aborted), shut down",
    )
    .option("-v, --verbose", "also show the server's log lines")
    .action(async (flags: { verbose?: boolean }) => {
      await setupTaskLogging(flags.verbose ? "info" : "warning");
      await runDemo((line) => console.log(line));
    });
}
