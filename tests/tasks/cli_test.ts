/**
 * The remote-task commands end to end, each as its own `zedge` process:
 * task-server, task-client, remote-task, run-script (with --yes and driven
 * interactively through stdin), demo, and their error handling.
 */
import assert from "node:assert/strict";
import { expectRefused } from "../pipeline/fixtures/helpers.ts";
import { repoPath } from "./helpers.ts";
import { run, spawn, startPythonServer, startZedgeServer, zedge } from "./processes.ts";
import { tempDir } from "../core/helpers.ts";

/** Asserts a failure: the exit code and one `zedge: …` line (or commander's `error: …`), no stack. */
function assertOneLineError(
  result: { code: number; stdout: string; stderr: string },
  code: number,
  pattern: RegExp,
) {
  assert.equal(result.code, code, `exit code; stderr:\n${result.stderr}`);
  const lines = result.stderr.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("INFO:"));
  assert.equal(lines.length, 1, `exactly one error line, got:\n${result.stderr}`);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(result.stderr, /^\s+at /m, "no stack trace");
}

async function tempFile(name: string, text: string): Promise<string> {
  const dir = await tempDir("zedge-tasks-");
  const path = `${dir}/${name}`;
  await Deno.writeTextFile(path, text);
  return path;
}

function remotesYaml(port: number, events?: number): string {
  return [
    "remotes:",
    "  test:",
    "    host: 127.0.0.1",
    `    port: ${port}`,
    "    scope: /test",
    ...(events ? [`    events: ${events}`] : []),
    "",
  ].join("\n");
}

const SCRIPT = [
  "first(delay = 0.1):",
  "  greet:",
  "    test:",
  "      echo: hello; world",
  "      sleep: 0.2",
  "second:",
  "  only:",
  "    test:",
  "      echo: second scene",
  "",
].join("\n");

Deno.test("cli: every command has --help, and bad flags are one line with exit 2", async () => {
  for (const command of ["task-server", "task-client", "remote-task", "run-script", "demo"]) {
    const help = await zedge([command, "--help"]);
    assert.equal(help.code, 0, command);
    assert.match(help.stdout, new RegExp(`Usage: zedge ${command}`));
  }
  assertOneLineError(
    await zedge(["task-client", "-p", "abc", "test:echo:x"]),
    2,
    /'-p, --port <port>' argument 'abc' is invalid/,
  );
  assertOneLineError(
    await zedge(["task-client", "-t", "soon", "test:echo:x"]),
    2,
    /argument 'soon' is invalid/,
  );
  assertOneLineError(
    await zedge(["task-client", "a", "b"]),
    2,
    /^zedge: expected handler:component:goal/,
  );
  assertOneLineError(
    await zedge(["task-client", "test:echo"]),
    2,
    /^zedge: task must be written handler:component:goal/,
  );
  assertOneLineError(await zedge(["task-server", "--bogus"]), 2, /unknown option '--bogus'/);
  assertOneLineError(await zedge(["task-server", "-p", "70000"]), 2, /argument '70000' is invalid/);
  assertOneLineError(
    await zedge(["task-server", "-s", "a;b", "-b", "tcp://127.0.0.1:0"]),
    2,
    /scope must be non-empty/,
  );
  assertOneLineError(
    await zedge(["run-script", "-c", "x.yaml"]),
    2,
    /required option '-s, --script <file>'/,
  );
});

Deno.test("cli: task-server serves task-client (flags and positional), with and without events", async () => {
  const { server, port, events } = await startZedgeServer(
    "-s",
    "/test",
    "-s",
    "/other",
    "-e",
    "tcp://127.0.0.1:0",
  );
  try {
    // Like ZTL's server: listening first, then one line per scope.
    await server.waitFor(/^INFO:remote-task:Registering controller for scope '\/other'\.$/m);
    assert.match(
      server.stderr(),
      /^INFO:remote-task:Registering controller for scope '\/test'\.$/m,
    );
    const echo = await zedge([
      "task-client",
      "-r",
      "127.0.0.1",
      "-p",
      `${port}`,
      "-s",
      "/test",
      "test:echo:hello: world",
    ]);
    assert.equal(echo.code, 0, echo.stderr);
    assert.deepEqual(echo.stdout.trim().split("\n"), [
      `Connecting to host '127.0.0.1:${port}' at scope '/test'...`,
      "Triggering task with request 'dGVzdDplY2hvOmhlbGxvOiB3b3JsZA=='...",
      `Initialised task with ID '1' with no time limit. Reply is 'Initiated task '1' with request: {'handler': 'test', 'component': 'echo', 'goal': 'hello: world'}'.`,
      "Task with ID '1' finished in state 'COMPLETED' while waiting. Result is 'hello: world'.",
    ]);
    assert.match(
      echo.stderr,
      /^INFO:remote-task:Remote task interface initialised at 'tcp:\/\/127\.0\.0\.1:\d+'\.$/m,
    );

    const pushed = await zedge([
      "task-client",
      "127.0.0.1",
      `${port}`,
      "/other",
      "test:sleep:0.2",
      "-e",
      `${events}`,
    ]);
    assert.equal(pushed.code, 0, pushed.stderr);
    assert.match(
      pushed.stdout,
      /Task with ID '1' finished in state 'COMPLETED' while waiting\. Result is 'slept 0\.2 s'\./,
    );

    const timedOut = await zedge([
      "task-client",
      "-r",
      "127.0.0.1",
      "-p",
      `${port}`,
      "-t",
      "0.2",
      "test:sleep:30",
    ]);
    assert.match(timedOut.stdout, /did not finish within 0\.2s, aborting\.\.\./);
    assert.match(timedOut.stdout, /is in state 'ABORTED' after abort/);
    assertOneLineError(timedOut, 1, /^zedge: task \d+ did not finish within 0\.2s$/);

    const rejected = await zedge([
      "task-client",
      "-r",
      "127.0.0.1",
      "-p",
      `${port}`,
      "robot:wave:hand",
    ]);
    assert.match(
      rejected.stdout,
      /Task '-1' could not be triggered: 'Controller threw exception: No such handler 'robot', try 'test'\.'\./,
    );
    assertOneLineError(rejected, 1, /^zedge: task rejected by/);
    // ZTL's client exits 0 whatever became of the task; so does zedge's with --ztl-exit-codes.
    const asZtl = await zedge([
      "task-client",
      "-p",
      `${port}`,
      "--ztl-exit-codes",
      "robot:wave:hand",
    ]);
    assertOneLineError(asZtl, 0, /^zedge: task rejected by/);
    assertOneLineError(
      await zedge(["task-client", "-p", `${port}`, "--ztl-exit-codes", "no-colons"]),
      255,
      /^zedge: /,
    );
  } finally {
    const status = await server.stop();
    assert.equal(status.code, 0, "SIGTERM shuts the server down cleanly");
    assert.match(server.stderr(), /Terminated, exiting\./);
  }
});

Deno.test("cli: task-server --handlers loads a user module; bad modules are one-line errors", async () => {
  const { server, port } = await startZedgeServer(
    "-s",
    "/robot",
    "--handlers",
    "examples/tasks/my_handlers.ts",
  );
  try {
    const say = await zedge([
      "task-client",
      "-r",
      "127.0.0.1",
      "-p",
      `${port}`,
      "-s",
      "/robot",
      "speech:say:hi",
    ]);
    assert.equal(say.code, 0, say.stderr);
    assert.match(say.stdout, /Result is 'said 'hi''\./);
    const drive = await zedge([
      "task-client",
      "-r",
      "127.0.0.1",
      "-p",
      `${port}`,
      "-s",
      "/robot",
      "-t",
      "0.3",
      "base:drive:10",
    ]);
    assert.equal(drive.code, 1);
    assert.match(drive.stdout, /is in state 'ABORTED' after abort/);
    const test = await zedge([
      "task-client",
      "-r",
      "127.0.0.1",
      "-p",
      `${port}`,
      "-s",
      "/robot",
      "test:echo:x",
    ]);
    assert.match(test.stdout, /No such handler 'test', try 'speech', 'base'\./);
  } finally {
    await server.stop();
  }
  const notThere = await zedge([
    "task-server",
    "-b",
    "tcp://127.0.0.1:0",
    "--handlers",
    "./no/such/module.ts",
  ]);
  assertOneLineError(notThere, 1, /^zedge: --handlers: cannot load '\.\/no\/such\/module\.ts'/);
  const bad = await tempFile(
    "bad_handlers.ts",
    "export const handlers = { arm: { home: 'not a function' } };\n",
  );
  assertOneLineError(
    await zedge(["task-server", "-b", "tcp://127.0.0.1:0", "--handlers", bad]),
    1,
    /component 'arm\.home' must be a function/,
  );
});

Deno.test("cli: remote-task uses the remotes file (explicit or XDG default) and reports problems in one line", async () => {
  const { server, port, events } = await startZedgeServer("-e", "tcp://127.0.0.1:0");
  try {
    const config = await tempFile("remotes.yaml", remotesYaml(port, events));
    const explicit = await zedge(["remote-task", "-c", config, "test", "test:echo:via remotes"]);
    assert.equal(explicit.code, 0, explicit.stderr);
    assert.match(explicit.stdout, /Result is 'via remotes'\./);

    const xdg = config.slice(0, config.lastIndexOf("/"));
    await Deno.rename(config, `${xdg}/zmq-remotes.yaml`);
    const byDefault = await zedge(["remote-task", "test", "test:echo:default file"], "", {
      XDG_CONFIG_HOME: xdg,
    });
    assert.equal(byDefault.code, 0, byDefault.stderr);
    assert.match(byDefault.stdout, /Result is 'default file'\./);

    assertOneLineError(
      await zedge(["remote-task", "-c", `${xdg}/zmq-remotes.yaml`, "arm", "arm:home:now"]),
      1,
      /no remote named 'arm' \(known: 'test'\)$/,
    );
  } finally {
    await server.stop();
  }
  const badYaml = await tempFile(
    "remotes.yaml",
    "remotes:\n  test:\n    host: h\n    port: many\n    scope: /t\n",
  );
  assertOneLineError(
    await zedge(["remote-task", "-c", badYaml, "test", "test:echo:x"]),
    1,
    new RegExp(`^zedge: ${badYaml}:4: remotes\\.test\\.port: must be an integer from 1 to 65535`),
  );
  assertOneLineError(
    await zedge(["remote-task", "-c", "/no/such/remotes.yaml", "test", "test:echo:x"]),
    1,
    /^zedge: \/no\/such\/remotes\.yaml: cannot read: file not found$/,
  );
  // Nothing listens on port 1: unreachable after ZTL's 2 s timeout.
  const unreachable = await tempFile("remotes.yaml", remotesYaml(1));
  assertOneLineError(
    await zedge(["remote-task", "-c", unreachable, "test", "test:echo:x"]),
    1,
    /^zedge: cannot reach task server: tcp:\/\/127\.0\.0\.1:1: no reply within 2000 ms \(cannot connect: connection refused, nothing listens there\)$/,
  );
});

Deno.test("cli: run-script --yes runs every scene; failures and bad scripts exit non-zero", async () => {
  const { server, port } = await startZedgeServer();
  try {
    const config = await tempFile("remotes.yaml", remotesYaml(port));
    const script = await tempFile("script.yaml", SCRIPT);
    const yes = await zedge(["run-script", "-c", config, "-s", script, "--yes"]);
    assert.equal(yes.code, 0, yes.stderr);
    assert.match(yes.stdout, /EXECUTING SCENE 'first' WITH DELAY 0\.1s\.\.\./);
    assert.match(yes.stdout, /test \[echo\]: task \d+ finished in state 'COMPLETED': hello; world/);
    assert.match(
      yes.stdout,
      /test \[sleep\]: task \d+ finished in state 'COMPLETED': slept 0\.2 s/,
    );
    assert.match(yes.stdout, /test \[echo\]: task \d+ finished in state 'COMPLETED': second scene/);
    assert.match(
      yes.stdout,
      /SCRIPT FINISHED: 2 scene\(s\) run, 3 task\(s\) triggered, 3 completed, 0 not completed/,
    );
    assert.doesNotMatch(yes.stdout, /PRESS/);

    // A refused task, a failing one and a remote out of reach: each is reported, the rest runs.
    const offline = await tempFile(
      "remotes.yaml",
      `${remotesYaml(port)}  offline:\n    host: 127.0.0.1\n    port: 1\n    scope: /test\n`,
    );
    const failing = await tempFile(
      "failing.yaml",
      "s:\n  a:\n    test:\n      dance: now\n      echo: fine\n    nope(remote = test):\n" +
        "      echo: x\n  b:\n    offline:\n      echo: lost\n" +
        "t:\n  c:\n    test:\n      echo: still runs\n",
    );
    const failed = await zedge(["run-script", "-c", offline, "-s", failing, "--yes"]);
    assert.match(
      failed.stdout,
      /test \[dance\]: task \d+ finished in state 'FAILED': No such component 'dance'/,
    );
    assert.match(
      failed.stdout,
      /nope \[echo\]: COULD NOT BE TRIGGERED: Controller threw exception: No such handler 'nope'/,
    );
    assert.match(
      failed.stdout,
      /offline \[echo\]: COULD NOT BE TRIGGERED: cannot reach tcp:\/\/127\.0\.0\.1:1: no reply within 2000 ms/,
    );
    assert.match(
      failed.stdout,
      /test \[echo\]: task \d+ finished in state 'COMPLETED': still runs/,
    );
    assert.match(
      failed.stdout,
      /2 scene\(s\) run, 3 task\(s\) triggered, 2 completed, 3 not completed/,
    );
    assertOneLineError(failed, 1, /^zedge: 3 task\(s\) did not complete$/);
    const asZtl = await zedge([
      "run-script",
      "-c",
      offline,
      "-s",
      failing,
      "--yes",
      "--ztl-exit-codes",
    ]);
    assert.equal(asZtl.code, 0, asZtl.stderr);

    const badScript = await tempFile(
      "bad.yaml",
      "s:\n  a(wait = perhaps):\n    test:\n      echo: x\n",
    );
    assertOneLineError(
      await zedge(["run-script", "-c", config, "-s", badScript, "--yes"]),
      1,
      new RegExp(`^zedge: ${badScript}:2: step 'a': 'wait' must be True or False, got 'perhaps'$`),
    );
    const unknownRemote = await tempFile("remote.yaml", "s:\n  a:\n    arm:\n      home: now\n");
    assertOneLineError(
      await zedge(["run-script", "-c", config, "-s", unknownRemote, "--yes"]),
      1,
      /:3: handler 'arm' uses remote 'arm', which is not configured$/,
    );
  } finally {
    await server.stop();
  }
});

Deno.test("cli: run-script interactive prompts driven through standard input", async () => {
  const { server, port } = await startZedgeServer();
  try {
    const config = await tempFile("remotes.yaml", remotesYaml(port));
    const script = await tempFile("script.yaml", SCRIPT);
    // Enter runs 'first'; at 'second', R replays 'first', then x skips 'second';
    // at the end A restarts; then x skips both scenes and x exits.
    const keys = ["", "r", "x", "a", "x", "x", "x"].join("\n") + "\n";
    const result = await zedge(["run-script", "-c", config, "-s", script], keys);
    assert.equal(result.code, 0, result.stderr);
    const out = result.stdout;
    const order = [
      "ABOUT TO EXECUTE SCENE 'first'",
      "PRESS <ENTER> TO CONFIRM or ANY OTHER KEY TO SKIP",
      "EXECUTING SCENE 'first' WITH DELAY 0.1s...",
      "ABOUT TO EXECUTE SCENE 'second'",
      "PRESS <ENTER> TO CONFIRM, PRESS <R> TO REPLAY LAST SCENE OR ANY OTHER KEY TO SKIP",
      "REPLAYING SCENE 'first'",
      "EXECUTING SCENE 'first' WITH DELAY 0.1s...",
      "SKIPPING SCENE 'second'",
      "PRESS <R> TO REPLAY THE LAST SCENE, PRESS <A> TO RESTART THE SCRIPT OR ANY OTHER KEY TO EXIT",
      "RESTARTING SCRIPT",
      "SKIPPING SCENE 'first'",
      "SKIPPING SCENE 'second'",
      "PRESS <A> TO RESTART THE SCRIPT OR ANY OTHER KEY TO EXIT",
      "SCRIPT FINISHED: 2 scene(s) run, 4 task(s) triggered, 4 completed",
    ];
    let at = 0;
    for (const line of order) {
      const found = out.indexOf(line, at);
      assert.ok(found >= 0, `'${line}' after position ${at} in:\n${out}`);
      at = found + line.length;
    }
    assert.doesNotMatch(out, /COMPLETED': second scene/, "the skipped scene never ran");

    // End of input at the first prompt: said, and not a success (cli_addressing_test.ts).
    const eof = await zedge(["run-script", "-c", config, "-s", script], "");
    assert.equal(eof.code, 1, eof.stderr);
    assert.match(eof.stdout, /SCRIPT STOPPED: 0 scene\(s\) run, 0 task\(s\) triggered/);
  } finally {
    await server.stop();
  }
});

Deno.test("cli: demo runs the README demo against an in-process server and exits 0", async () => {
  const demo = await zedge(["demo"]);
  assert.equal(demo.code, 0, demo.stdout + demo.stderr);
  assert.match(
    demo.stdout,
    /Task with ID '1' finished in state 'COMPLETED' while waiting \([\d.]+ ms\)\. Result is 'hello from zedge/,
  );
  assert.match(demo.stdout, /\[server prints\] printed by the server/);
  assert.match(demo.stdout, /Abort replied 'ABORTED'/);
  assert.match(
    demo.stdout,
    /Task '-1' could not be triggered: 'Controller threw exception: No such handler 'robot', try 'test'\.'\./,
  );
  assert.match(demo.stdout, /Server shut down\.$/m);
  assert.ok(repoPath("cli/demo.ts"));
});

Deno.test("cli: task-server --max-message-size closes connections that send more", async () => {
  assertOneLineError(
    await zedge(["task-server", "--max-message-size", "big", "-b", "tcp://127.0.0.1:0"]),
    2,
    /'--max-message-size <bytes>' argument 'big' is invalid/,
  );
  const { server, port } = await startZedgeServer("--max-message-size", "2048");
  try {
    await expectRefused(`tcp://127.0.0.1:${port}`, 2049);
    const client = await zedge([
      "task-client",
      "-r",
      "127.0.0.1",
      "-p",
      `${port}`,
      "-s",
      "/test",
      "test:echo:" + "y".repeat(1500),
    ]);
    assert.equal(client.code, 0, client.stderr);
  } finally {
    await server.stop();
  }
});

Deno.test("cli: ztl-aliases makes ZTL's command names; each runs its command and ignores unknown options", async () => {
  const dir = await tempDir("zedge-ztl-");
  const made = await zedge(["ztl-aliases", dir]);
  assert.equal(made.code, 0, made.stderr);
  for (const name of ["ztl_task_server", "ztl_task_client", "ztl_remote_task", "ztl_run_script"]) {
    assert.ok((await Deno.stat(`${dir}/${name}`)).isFile, name);
  }
  assertOneLineError(await zedge(["ztl-aliases", dir]), 1, /ztl_task_server: exists already/);
  assert.equal((await zedge(["ztl-aliases", "--force", dir])).code, 0);

  // ZTL's flags, plus ones only ZTL's launch files pass: ignored, as parse_known_args does.
  const server = spawn(`${dir}/ztl_task_server`, ["-b", "tcp://127.0.0.1:0", "--ros-args"]);
  const python = await startPythonServer("/test");
  try {
    const [, port] = await server.waitFor(/listening at 'tcp:\/\/127\.0\.0\.1:(\d+)'/);
    for (const target of [port, `${python.port}`]) {
      const client = await run(`${dir}/ztl_task_client`, [
        "-r",
        "127.0.0.1",
        "-p",
        target,
        "-s",
        "/test",
        "--log-level=debug",
        "test:echo:hi",
      ]);
      assert.equal(client.code, 0, client.stderr);
      assert.match(client.stdout, /finished in state 'COMPLETED' while waiting\. Result is 'hi'\./);
    }
    const remotes = await tempFile("remotes.yaml", remotesYaml(Number(port)));
    const remote = await run(`${dir}/ztl_remote_task`, [
      "-c",
      remotes,
      "--quiet",
      "test",
      "test:echo:r",
    ]);
    assert.equal(remote.code, 0, remote.stderr);
    assert.match(remote.stdout, /Result is 'r'\./);
    const script = await tempFile("script.yaml", "s:\n  a:\n    test:\n      echo: yes\n");
    const ran = await run(`${dir}/ztl_run_script`, ["-c", remotes, "-s", script, "--yes", "-v"]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /test \[echo\]: task \d+ finished in state 'COMPLETED': True/);
    // Messages carry the name it was called by.
    const bad = await run(`${dir}/ztl_task_client`, ["-p", "1", "no-colons"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^ztl_task_client: /m);
  } finally {
    await server.stop();
    await python.server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: schema prints each YAML file's JSON Schema; pipeline schema too", async () => {
  const titles: Record<string, string> = {
    remotes: "zedge / ZTL remotes",
    script: "zedge / ZTL scene script",
    pipeline: "zedge pipeline",
    robot: "zedge robot",
  };
  for (const [kind, title] of Object.entries(titles)) {
    const printed = await zedge(["schema", kind]);
    assert.equal(printed.code, 0, printed.stderr);
    assert.equal(JSON.parse(printed.stdout).title, title);
  }
  const pipeline = await zedge(["pipeline", "schema"]);
  assert.equal(JSON.parse(pipeline.stdout).title, "zedge pipeline");
  assertOneLineError(await zedge(["schema", "nope"]), 2, /^zedge: no schema for 'nope'/);
});

Deno.test("cli: task-client -e logs every one of a handler's progress lines, as without -e", async () => {
  // Five lines, the first the moment the task starts, then one each 30 ms: shorter than the
  // events channel's safety poll (1 s), so the pushed events are what carries them.
  const handlers = await tempFile(
    "wave.ts",
    `export const handlers = { arm: { wave: async (goal, { progress }) => {
  for (let i = 1; i <= Number(goal); i++) {
    progress("wave " + i + " of " + goal);
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
  return "waved";
} } };
`,
  );
  const { server, port, events } = await startZedgeServer(
    "-s",
    "/arm",
    "--handlers",
    handlers,
    "-e",
    "tcp://127.0.0.1:0",
  );
  try {
    for (const withEvents of [true, false]) {
      const result = await zedge([
        "task-client",
        "-p",
        `${port}`,
        "-s",
        "/arm",
        ...(withEvents ? ["-e", `${events}`] : []),
        "arm:wave:5",
      ]);
      assert.equal(result.code, 0, result.stderr);
      const waves = [...result.stderr.matchAll(/is running: 'wave (\d) of 5'/g)].map((m) => m[1]);
      if (withEvents) assert.deepEqual(waves, ["1", "2", "3", "4", "5"], result.stderr);
      else assert.ok(waves.length >= 1, result.stderr); // polled: what 100 ms polls catch
      assert.match(
        result.stdout,
        /finished in state 'COMPLETED' while waiting\. Result is 'waved'/,
      );
    }
  } finally {
    await server.stop();
    await Deno.remove(handlers.slice(0, handlers.lastIndexOf("/")), { recursive: true });
  }
});
