import assert from "node:assert/strict";
import { TaskClient } from "../../core/tasks/client.ts";
import { TaskState } from "../../core/tasks/protocol.ts";
import { parseScript } from "../../core/tasks/script.ts";
import { ScriptInterrupted, ScriptRunner } from "../../core/tasks/script_runner.ts";
import { startServer } from "./helpers.ts";

function keys(...answers: (string | null)[]): () => Promise<string | null> {
  return () => Promise.resolve(answers.length > 0 ? answers.shift()! : null);
}

Deno.test("script runner: a step timeout aborts the step's tasks and counts them as not completed", async () => {
  const { server, endpoint } = await startServer();
  const client = new TaskClient({ endpoint, scope: "/test" });
  const lines: string[] = [];
  try {
    const script = parseScript(
      "s:\n  slow:\n    test:\n      sleep: 30\n      echo: quick\n",
      "s.yaml",
    );
    const summary = await new ScriptRunner({
      script,
      clients: new Map([["test", client]]),
      yes: true,
      stepTimeoutMs: 200,
      write: (line) => lines.push(line),
      readKey: keys(),
    }).run();
    assert.deepEqual(summary, {
      scenesRun: 1,
      tasksTriggered: 2,
      completed: 1,
      failed: 1,
      background: 0,
    });
    assert.ok(
      lines.some((l) =>
        /test \[sleep\]: task (\d+) did not finish within 0\.2s, abort gave ABORTED/.test(l)
      ),
      lines.join("\n"),
    );
    const sleepId = Number(lines.join("\n").match(/test \[sleep\]: task (\d+)/)![1]);
    assert.equal((await client.status(sleepId)).state, TaskState.ABORTED);
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("script runner: a remote out of reach is reported and the script carries on, as in ZTL", async () => {
  const { server, endpoint } = await startServer();
  const good = new TaskClient({ endpoint, scope: "/test" });
  const gone = new TaskClient({ endpoint: "tcp://127.0.0.1:1", scope: "/test", timeoutMs: 200 });
  const lines: string[] = [];
  try {
    const script = parseScript(
      "s:\n  both:\n    test:\n      sleep: 0.2\n    far(remote = gone):\n      echo: x\n" +
        "  next:\n    test:\n      echo: after\n",
      "s.yaml",
    );
    const summary = await new ScriptRunner({
      script,
      clients: new Map([["test", good], ["gone", gone]]),
      yes: true,
      write: (line) => lines.push(line),
      readKey: keys(),
    }).run();
    assert.deepEqual(summary, {
      scenesRun: 1,
      tasksTriggered: 2,
      completed: 2,
      failed: 1,
      background: 0,
    });
    assert.ok(
      lines.includes(
        "\tfar [echo]: COULD NOT BE TRIGGERED: cannot reach tcp://127.0.0.1:1: no reply within 200 ms " +
          "(cannot connect: connection refused, nothing listens there)",
      ),
      lines.join("\n"),
    );
    assert.ok(
      lines.some((l) => /test \[echo\]: task \d+ finished in state 'COMPLETED': after/.test(l)),
    );
  } finally {
    await good.close();
    await gone.close();
    await server.close();
  }
});

Deno.test("script runner: Ctrl-C at a prompt interrupts; a missing client is caught up front", async () => {
  const { server, endpoint } = await startServer();
  const client = new TaskClient({ endpoint, scope: "/test" });
  try {
    const script = parseScript("s:\n  a:\n    test:\n      echo: x\n", "s.yaml");
    const runner = new ScriptRunner({
      script,
      clients: new Map([["test", client]]),
      write: () => {},
      readKey: keys("\x03"),
    });
    await assert.rejects(runner.run(), ScriptInterrupted);
    assert.throws(
      () => new ScriptRunner({ script, clients: new Map(), write: () => {}, readKey: keys() }),
      /s\.yaml:3: no client for remote 'test'/,
    );
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("script runner: an interrupt during a step aborts the step's tasks", async () => {
  const { server, endpoint } = await startServer();
  const client = new TaskClient({ endpoint, scope: "/test" });
  const interrupt = new AbortController();
  try {
    const script = parseScript("s:\n  long:\n    test:\n      sleep: 30\n", "s.yaml");
    const run = new ScriptRunner({
      script,
      clients: new Map([["test", client]]),
      yes: true,
      signal: interrupt.signal,
      write: (line) => {
        if (line.startsWith("STARTING STEP")) {
          setTimeout(() => interrupt.abort(new ScriptInterrupted()), 100);
        }
      },
      readKey: keys(),
    }).run();
    await assert.rejects(run, ScriptInterrupted);
    assert.equal((await client.status(1)).state, TaskState.ABORTED);
  } finally {
    await client.close();
    await server.close();
  }
});
