/**
 * Shared helpers of the task tests: a loopback task server with the test
 * controller, and waiting for task state changes without sleeping.
 *
 * @module
 */
import type { TaskController } from "../../core/tasks/controller.ts";
import { TaskServer } from "../../core/tasks/server.ts";
import { TestController } from "../../core/tasks/test_controller.ts";

/** A started server on 127.0.0.1 (random ports) with `/test` → TestController. */
export async function startServer(
  options: { events?: boolean; controllers?: Record<string, TaskController> } = {},
): Promise<{ server: TaskServer; endpoint: string; events: string | undefined; port: number }> {
  const server = new TaskServer({
    endpoint: "tcp://127.0.0.1:0",
    events: options.events ? "tcp://127.0.0.1:0" : undefined,
    controllers: options.controllers ?? { "/test": new TestController({ print: () => {} }) },
  });
  await server.start();
  const endpoint = server.endpoint!;
  return {
    server,
    endpoint,
    events: server.eventsEndpoint ?? undefined,
    port: Number(new URL(endpoint.replace("tcp://", "http://")).port),
  };
}

/** Path of a file next to the tests, for subprocesses. */
export function repoPath(relative: string): string {
  return new URL(`../../${relative}`, import.meta.url).pathname;
}

/** The Python interpreter the interop peers use (Debian's, with python3-zmq). */
export const PYTHON = "/usr/bin/python3";

/** Whether /usr/bin/python3 can import zmq; the reason when it cannot. */
export async function pythonZmqMissing(): Promise<string | undefined> {
  try {
    const { success } = await new Deno.Command(PYTHON, {
      args: ["-c", "import zmq"],
      stdout: "null",
      stderr: "null",
    }).output();
    return success ? undefined : `${PYTHON} cannot import zmq (apt-get install python3-zmq)`;
  } catch (error) {
    return `${PYTHON} is not runnable: ${error instanceof Error ? error.message : error}`;
  }
}

/** Parses the `RESULT {json}` line a Python peer prints last. */
export function resultOf(stdout: string): Record<string, unknown> {
  const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (!line) throw new Error(`no RESULT line in:\n${stdout}`);
  return JSON.parse(line.slice("RESULT ".length));
}
