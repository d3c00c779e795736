/**
 * task-client as a new user meets it: `-r` is checked (a HOST:PORT or an
 * endpoint is refused with what to type instead), `--endpoint` reaches any
 * tcp or ipc endpoint `task-server -b` binds, and an unreachable server says
 * which of "cannot resolve host", "connection refused" and "no reply" it
 * was; while it waits the client shows the handler's progress text, and a
 * scene script piped fewer answers than it has prompts says so and exits
 * non-zero.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Router } from "../../core/sockets/mod.ts";
import { freeTcpPort, tempDir } from "../core/helpers.ts";
import { spawn, startZedgeServer, zedge, zedgeArgs } from "./processes.ts";

/** Asserts a failure: the exit code and one `zedge: …` line (or commander's), no stack. */
function assertOneLineError(
  result: { code: number; stdout: string; stderr: string },
  code: number,
  pattern: RegExp,
) {
  assert.equal(result.code, code, `exit code; stderr:\n${result.stderr}`);
  const lines = result.stderr.split("\n").filter((l) => l.trim() !== "" && !/^[A-Z]+:/.test(l));
  assert.equal(lines.length, 1, `exactly one error line, got:\n${result.stderr}`);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(result.stderr, /^\s+at /m, "no stack trace");
}

Deno.test("task-client: -r takes a host; HOST:PORT and endpoints are refused with what to type", async () => {
  assertOneLineError(
    await zedge(["task-client", "-r", "localhost:30779", "test:echo:x"]),
    2,
    /^zedge: -r: 'localhost:30779' is HOST:PORT; .*\(use -r localhost -p 30779, or --endpoint tcp:\/\/localhost:30779\)$/,
  );
  assertOneLineError(
    await zedge(["task-client", "-r", "tcp://robot:7779", "test:echo:x"]),
    2,
    /^zedge: -r: 'tcp:\/\/robot:7779' is an endpoint, not a host \(use --endpoint tcp:\/\/robot:7779\)$/,
  );
  assertOneLineError(
    await zedge(["task-client", "robot arm", "7779", "/test", "test:echo:x"]),
    2,
    /^zedge: HOST: 'robot arm' is not a host name or address$/,
  );
  assertOneLineError(
    await zedge(["task-client", "--endpoint", "tcp://localhost:1", "-r", "x", "test:echo:x"]),
    2,
    /'--endpoint <endpoint>' cannot be used with option '-r, --remote <host>'/,
  );
  assertOneLineError(
    await zedge(["task-client", "--endpoint", "inproc://tasks", "test:echo:x"]),
    2,
    /^zedge: --endpoint: 'inproc:\/\/tasks' is inproc, which reaches only its own process/,
  );
  assertOneLineError(
    await zedge(["task-client", "--endpoint", "tcp://*:7779", "test:echo:x"]),
    2,
    /^zedge: --endpoint: 'tcp:\/\/\*:7779' is a bind address/,
  );
  // The remotes file's host gets the same check, at its line.
  const dir = await tempDir("zedge-tasks-");
  try {
    await Deno.writeTextFile(
      `${dir}/remotes.yaml`,
      "remotes:\n  arm: {host: 'robot:7779', port: 7779, scope: /arm}\n",
    );
    assertOneLineError(
      await zedge(["remote-task", "-c", `${dir}/remotes.yaml`, "arm", "arm:move:home"]),
      1,
      /remotes\.yaml:2: remotes\.arm\.host: 'robot:7779' is HOST:PORT/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("task-client --endpoint reaches a task server on ipc and on tcp", async () => {
  const dir = await tempDir("zedge-tasks-");
  const server = spawn(Deno.execPath(), zedgeArgs("task-server", "-b", `ipc://${dir}/tasks.sock`));
  try {
    await server.waitFor(/Task Server listening at 'ipc:/);
    const ipc = await zedge([
      "task-client",
      "--endpoint",
      `ipc://${dir}/tasks.sock`,
      "test:echo:over ipc",
    ]);
    assert.equal(ipc.code, 0, ipc.stderr);
    assert.match(ipc.stdout, new RegExp(`^Connecting to 'ipc://${dir}/tasks.sock' at scope`, "m"));
    assert.match(ipc.stdout, /finished in state 'COMPLETED' while waiting\. Result is 'over ipc'/);
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
  const { server: tcpServer, port } = await startZedgeServer();
  try {
    const tcp = await zedge([
      "task-client",
      "--endpoint",
      `tcp://127.0.0.1:${port}`,
      "test:echo:over tcp",
    ]);
    assert.equal(tcp.code, 0, tcp.stderr);
    assert.match(tcp.stdout, /Result is 'over tcp'/);
  } finally {
    await tcpServer.stop();
  }
});

Deno.test("task-client tells a host that does not resolve, a refused connection and a silent server apart", async () => {
  // Name resolution fails at once: with a 60 s request timeout this would otherwise
  // end, after a minute, as "no reply".
  const unresolved = await zedge([
    "task-client",
    "-r",
    "no-such-robot.invalid",
    "--request-timeout",
    "60000",
    "test:echo:x",
  ]);
  assertOneLineError(
    unresolved,
    1,
    /^zedge: cannot reach task server: tcp:\/\/no-such-robot\.invalid:7779: cannot resolve host 'no-such-robot\.invalid'/,
  );
  assertOneLineError(
    await zedge([
      "task-client",
      "-p",
      `${freeTcpPort()}`,
      "--request-timeout",
      "300",
      "test:echo:x",
    ]),
    1,
    /: no reply within 300 ms \(cannot connect: connection refused, nothing listens there\)$/,
  );
  // A ZMTP peer that takes the request and never answers.
  const silent = new Router();
  await silent.bind("tcp://127.0.0.1:0");
  try {
    const result = await zedge([
      "task-client",
      "--endpoint",
      silent.lastEndpoint!,
      "--request-timeout",
      "300",
      "test:echo:x",
    ]);
    assertOneLineError(result, 1, /: no reply within 300 ms$/);
  } finally {
    await silent.close();
  }
});

Deno.test("task-client shows the handler's progress text while it waits; -t 0 says there is no limit", async () => {
  const { server, port } = await startZedgeServer();
  try {
    const result = await zedge([
      "task-client",
      "-p",
      `${port}`,
      "-r",
      "127.0.0.1",
      "-t",
      "0",
      "test:sleep:0.5",
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Initialised task with ID '1' with no time limit\./);
    // On stderr, as a log line, so stdout stays ZTL's line for line.
    const lines = result.stderr.split("\n");
    assert.ok(
      lines.includes("INFO:remote-task:Task with ID '1' is running: 'sleeping for 0.5 s'."),
      result.stderr,
    );
    assert.equal(lines.filter((l) => l.includes("is running:")).length, 1, "once per text");
    assert.doesNotMatch(result.stdout, /is running/);
  } finally {
    await server.stop();
  }
});

Deno.test("run-script: input that ends at a prompt says so and exits non-zero", async () => {
  const { server, port } = await startZedgeServer();
  const dir = await tempDir("zedge-tasks-");
  try {
    await Deno.writeTextFile(
      `${dir}/remotes.yaml`,
      `remotes:\n  test: {host: 127.0.0.1, port: ${port}, scope: /test}\n`,
    );
    await Deno.writeTextFile(
      `${dir}/script.yaml`,
      "first:\n  a:\n    test:\n      echo: one\nsecond:\n  b:\n    test:\n      echo: two\n",
    );
    const args = ["run-script", "-c", `${dir}/remotes.yaml`, "-s", `${dir}/script.yaml`];
    // One answer (run 'first'), then nothing at the prompt for 'second'.
    const short = await zedge(args, "\n");
    assertOneLineError(
      short,
      1,
      /^zedge: end of input at the prompt for scene 'second': give one answer per prompt/,
    );
    assert.match(short.stdout, /END OF INPUT AT THE PROMPT FOR SCENE 'second', EXITING/);
    assert.match(
      short.stdout,
      /SCRIPT STOPPED: 1 scene\(s\) run, 1 task\(s\) triggered, 1 completed/,
    );
    assert.doesNotMatch(short.stdout, /Result is 'two'|COMPLETED.*two/);
    // Nothing at all: the first prompt.
    const none = await zedge(args, "");
    assert.equal(none.code, 1);
    assert.match(none.stdout, /END OF INPUT AT THE PROMPT FOR SCENE 'first', EXITING/);
    // Every prompt answered: exit 0.
    const full = await zedge(args, "\n\nx\n");
    assert.equal(full.code, 0, full.stderr);
    assert.match(full.stdout, /SCRIPT FINISHED: 2 scene\(s\) run/);
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("task-server --handlers: a module with a syntax error is one line with file:line:column", async () => {
  const dir = await tempDir("zedge-tasks-");
  try {
    await Deno.writeTextFile(
      `${dir}/broken.ts`,
      "export const handlers = {\n  arm: { home: ( => 1 },\n};\n",
    );
    assertOneLineError(
      await zedge(["task-server", "-b", "tcp://127.0.0.1:0", "--handlers", `${dir}/broken.ts`]),
      1,
      new RegExp(
        `^zedge: --handlers: cannot load '${dir}/broken.ts': SyntaxError: .* at ${dir}/broken.ts:2:\\d+$`,
      ),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
