/**
 * Interop with ZTL's wire format through real libzmq peers: a Python ZTL
 * client (pyzmq REQ, written from the wire doc) against `zedge task-server`,
 * and `zedge task-client` / the TypeScript clients against a Python ZTL server
 * (pyzmq REP).
 */
import assert from "node:assert/strict";
import { TaskClient } from "../../core/tasks/client.ts";
import {
  encodeTask,
  RequestCode,
  stateName,
  TaskState,
  type ZtlMessage,
} from "../../core/tasks/protocol.ts";
import { pythonZmqMissing, resultOf } from "./helpers.ts";
import { pythonClient, startPythonServer, startZedgeServer, zedge } from "./processes.ts";

const missing = await pythonZmqMissing();

/** Interop needs a real libzmq peer: without pyzmq these tests fail (never skip) and say why. */
function needPyzmq(): void {
  if (missing !== undefined) {
    throw new Error(`interop needs pyzmq as the libzmq peer: ${missing}`);
  }
}

Deno.test({
  name: "interop: a Python ZTL client triggers, follows and aborts tasks on zedge task-server",
  async fn() {
    needPyzmq();
    const { server, port } = await startZedgeServer("-s", "/test");
    try {
      const echo = await pythonClient(
        "run",
        "127.0.0.1",
        `${port}`,
        "/test",
        "test:echo:hi; there:general ¬ Kenobi",
      );
      assert.equal(echo.code, 0, echo.stdout + echo.stderr);
      assert.deepEqual(resultOf(echo.stdout).reply, "hi; there:general ¬ Kenobi");
      assert.match(echo.stdout, /Task with ID '\d+' finished in state 'COMPLETED' while waiting\./);

      // ZTL 0.0.x clients send '¬'.
      const legacy = await pythonClient(
        "run",
        "127.0.0.1",
        `${port}`,
        "/test",
        "test:sleep:0.2",
        "--separator",
        "¬",
      );
      assert.deepEqual(
        [legacy.code, resultOf(legacy.stdout).state, resultOf(legacy.stdout).reply],
        [0, TaskState.COMPLETED, "slept 0.2 s"],
      );

      const aborted = resultOf(
        (await pythonClient(
          "abort",
          "127.0.0.1",
          `${port}`,
          "/test",
          "test:sleep:30",
          "--after",
          "0.2",
        )).stdout,
      );
      assert.equal(aborted.running, TaskState.ACCEPTED);
      assert.equal(aborted.progress, "sleeping for 30 s");
      assert.equal(aborted.abort_state, TaskState.ABORTED);
      assert.equal(aborted.final_state, TaskState.ABORTED);

      const rejected = await pythonClient("run", "127.0.0.1", `${port}`, "/test", "nope:x:y");
      assert.equal(rejected.code, 1);
      assert.match(
        rejected.stdout,
        /Task '-1' could not be triggered: 'Controller threw exception: No such handler 'nope', try 'test'\.'\./,
      );

      // Wire-level error replies, as libzmq REQ sockets see them.
      const raw = resultOf(
        (await pythonClient(
          "raw",
          "127.0.0.1",
          `${port}`,
          "garbage",
          "/nope;1;-1;x",
          "/test;7;3;x",
          "/test;2;99;status update",
          `/test;1;-1;${encodeTask("test", "echo", "ok")}`,
        )).stdout,
      );
      assert.deepEqual((raw.replies as string[]).slice(0, 4), [
        ";2;-1;Unknown protocol",
        "/nope;2;-1;No controller for scope: /nope",
        "/test;2;3;Invalid request",
        "/test;2;99;Invalid ID '99'",
      ]);
      assert.match(
        (raw.replies as string[])[4],
        /^\/test;1;\d+;Initiated task '\d+' with request: /,
      );
    } finally {
      await server.stop();
    }
  },
});

Deno.test({
  name: "interop: zedge task-client completes tasks on a Python ZTL server",
  async fn() {
    needPyzmq();
    const { server, port } = await startPythonServer("/test");
    try {
      const flags = await zedge([
        "task-client",
        "-r",
        "127.0.0.1",
        "-p",
        `${port}`,
        "-s",
        "/test",
        "test:echo:hello world",
      ]);
      assert.equal(flags.code, 0, flags.stdout + flags.stderr);
      assert.match(
        flags.stdout,
        /Task with ID '1' finished in state 'COMPLETED' while waiting\. Result is 'hello world'\./,
      );

      const positional = await zedge([
        "task-client",
        "127.0.0.1",
        `${port}`,
        "/test",
        "test:sleep:0.3",
      ]);
      assert.equal(positional.code, 0, positional.stdout + positional.stderr);
      assert.match(
        positional.stdout,
        /finished in state 'COMPLETED' while waiting\. Result is 'slept 0\.3 s'\./,
      );

      // The wait times out: zedge aborts the task on the Python server.
      const timeout = await zedge([
        "task-client",
        "-r",
        "127.0.0.1",
        "-p",
        `${port}`,
        "-t",
        "0.3",
        "test:sleep:30",
      ]);
      assert.equal(timeout.code, 1);
      assert.match(timeout.stdout, /is in state 'ABORTED' after abort/);
      assert.match(timeout.stderr, /^zedge: task \d+ did not finish within 0\.3s$/m);
    } finally {
      await server.stop();
    }
  },
});

Deno.test({
  name: "interop: the TypeScript clients drive a Python ZTL server, legacy separator included",
  async fn() {
    needPyzmq();
    const { server, port } = await startPythonServer("/test");
    const modern = new TaskClient({ host: "127.0.0.1", port, scope: "/test" });
    const legacy = new TaskClient({ host: "127.0.0.1", port, scope: "/test", separator: "¬" });
    try {
      for (const client of [modern, legacy]) {
        const done = await client.run({ handler: "test", component: "echo", goal: "a:b¬c;d" }, {
          timeoutMs: 5000,
        });
        assert.deepEqual([done.state, done.payload], [TaskState.COMPLETED, "a:b¬c;d"]);
      }
      const { id } = await modern.trigger({ handler: "test", component: "sleep", goal: "30" });
      assert.equal((await modern.abort(id)).state, TaskState.ABORTED);
      assert.deepEqual(await modern.status(12345), {
        state: TaskState.REJECTED,
        payload: "Invalid ID '12345'",
      });
    } finally {
      await modern.close();
      await legacy.close();
      await server.stop();
    }
  },
});

/** What a client sees of `test` tasks on a server, ids left out (ZTL counts refused ones too). */
async function testControllerTranscript(port: number): Promise<string[]> {
  const client = new TaskClient({ host: "127.0.0.1", port, scope: "/test" });
  const lines: string[] = [];
  const note = (what: string, reply: { state: number; payload: string; id?: number }) =>
    lines.push(
      `${what}: ${stateName(reply.state)}${
        reply.id === undefined ? "" : ` id ${reply.id > 0 ? "N" : reply.id}`
      } ` +
        reply.payload.replace(/'\d+'/g, "'N'"),
    );
  try {
    for (
      const [handler, component, goal] of [
        ["test", "echo", "hello: 'world'"],
        ["test", "print", "printed"],
        ["nope", "echo", "x"],
        ["test", "dance", "x"],
      ]
    ) {
      const init: ZtlMessage = await client.request(
        RequestCode.INIT,
        -1,
        encodeTask(handler, component, goal),
      );
      note(`init ${handler}:${component}`, init);
      if (init.id <= 0) continue;
      note("final", await client.wait(init.id, { timeoutMs: 10_000 }));
      note("abort", await client.request(RequestCode.ABORT, init.id, "abort command"));
    }
  } finally {
    await client.close();
  }
  return lines;
}

Deno.test({
  name: "interop: zedge's built-in test controller answers as ZTL's example server does",
  async fn() {
    needPyzmq();
    const python = await startPythonServer("--example", "/test");
    const ours = await startZedgeServer("-s", "/test");
    try {
      const expected = await testControllerTranscript(python.port);
      assert.deepEqual(await testControllerTranscript(ours.port), expected);
      assert.deepEqual(expected, [
        `init test:echo: ACCEPTED id N Initiated task 'N' with request: {'handler': 'test', 'component': 'echo', 'goal': "hello: 'world'"}`,
        "final: COMPLETED hello: 'world'",
        "abort: COMPLETED id N False",
        `init test:print: ACCEPTED id N Initiated task 'N' with request: {'handler': 'test', 'component': 'print', 'goal': 'printed'}`,
        "final: COMPLETED True",
        "abort: COMPLETED id N False",
        "init nope:echo: FAILED id -1 Controller threw exception: No such handler 'nope', try 'test'.",
        `init test:dance: ACCEPTED id N Initiated task 'N' with request: {'handler': 'test', 'component': 'dance', 'goal': 'x'}`,
        "final: FAILED No such component 'dance', try 'echo/print/sleep'.",
        "abort: FAILED id N False",
      ]);
    } finally {
      await python.server.stop();
      await ours.server.stop();
    }
  },
});

Deno.test({
  name:
    "interop: zedge task-client waits as long as the task takes, and outwaits an abort ZTL's server refuses",
  async fn() {
    needPyzmq();
    // ZTL's example server cannot abort a sleep: ABORT answers ACCEPTED and False.
    const { server, port } = await startPythonServer("--example", "/test");
    try {
      const client = (...args: string[]) =>
        zedge(["task-client", "-r", "127.0.0.1", "-p", `${port}`, "-s", "/test", ...args]);
      const [long, refused] = await Promise.all([
        // Longer than the 5 s zedge used to give up after: no -t waits for as long as it takes.
        client("test:sleep:6"),
        client("-t", "0.3", "test:sleep:1"),
      ]);
      assert.equal(long.code, 0, long.stdout + long.stderr);
      assert.match(long.stdout, /Initialised task with ID '\d+' with no time limit\./);
      assert.match(
        long.stdout,
        /Task with ID '\d+' finished in state 'COMPLETED' while waiting\. Result is 'True'\./,
      );
      assert.equal(refused.code, 0, refused.stdout + refused.stderr);
      const lines = refused.stdout.trim().split("\n").slice(3);
      assert.equal(lines.length, 3, refused.stdout);
      assert.match(lines[0], /^Task with ID '(\d+)' did not finish within 0\.3s, aborting\.\.\.$/);
      assert.match(
        lines[1],
        /^Could not abort Task with ID '\d+', waiting for completion\. Reply is 'False'\.$/,
      );
      assert.match(
        lines[2],
        /^Task with ID '\d+' finished in state 'COMPLETED' after unsuccessful abort signal\. Reply is 'True'\.$/,
      );
    } finally {
      await server.stop();
    }
  },
});
