/**
 * `zedge logs tail` as a subprocess against a real PUB log sink: records
 * reach it (JSON and line output), its filters (--level, --component,
 * --robot at the publisher), colour on a terminal and NO_COLOR, escaping of
 * control characters, malformed messages skipped with a reason, --bind,
 * clear one-line errors, and a clean exit on Ctrl-C.
 *
 * Each tail is synchronised by its subscription reaching an XPUB, never by
 * sleeping.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  createPubLogSink,
  type FormedLogRecord,
  type PublishedLogRecord,
  type PubLogSink,
  XPublisher,
} from "../../mod.ts";
import { freeTcpPort, subscriptionSeen } from "../core/helpers.ts";
import { type Running, spawn, zedge, zedgeArgs } from "../tasks/processes.ts";

const ROBOT = "kitchen-bot";
const ESC = "\x1b";

function record(level: FormedLogRecord["level"], message: string, time = Date.now()) {
  return { time, level, category: [], message, properties: {} } as FormedLogRecord;
}

/**
 * A log sink on an XPUB bound to a free loopback port, so a test can see
 * subscriptions (verbose: every tail's, not only the first of each prefix).
 */
async function xpubSink(): Promise<{ xpub: XPublisher; logs: PubLogSink; endpoint: string }> {
  const xpub = new XPublisher({ linger: 0, verbose: true });
  await xpub.bind("tcp://127.0.0.1:0");
  const logs = await createPubLogSink({ socket: xpub, robot: ROBOT });
  return { xpub, logs, endpoint: xpub.lastEndpoint! };
}

/** Starts `zedge logs tail ENDPOINT ...flags` and waits until its subscription(s) arrived. */
async function startTail(
  xpub: XPublisher,
  endpoint: string,
  flags: string[],
  subscriptions = [""],
  env: Record<string, string> = {},
): Promise<Running> {
  const tail = spawn(Deno.execPath(), zedgeArgs("logs", "tail", endpoint, ...flags), "null", env);
  for (const topic of subscriptions) await subscriptionSeen(xpub, topic, true);
  return tail;
}

/** Sends Ctrl-C (SIGINT) and resolves the exit status. */
async function interrupt(tail: Running): Promise<Deno.CommandStatus> {
  tail.child.kill("SIGINT");
  return await tail.status;
}

function stdoutLines(tail: Running): string[] {
  return tail.stdout().split("\n").filter((line) => line !== "");
}

Deno.test("logs tail: records reach it as published (--json), and Ctrl-C exits 0 quietly", async () => {
  const { xpub, logs, endpoint } = await xpubSink();
  let tail: Running | undefined;
  try {
    tail = await startTail(xpub, endpoint, ["--json"]);
    const sent: PublishedLogRecord[] = [];
    for (const [component, level] of [["odometry", "info"], ["planner", "warning"]] as const) {
      const formed = { ...record(level, `${component} says hi`), properties: { n: sent.length } };
      logs.publish(component, formed);
      sent.push({ ...formed, robot: ROBOT, component });
    }
    await tail.waitFor(/planner says hi.*\n/);
    assert.deepEqual(stdoutLines(tail).map((line) => JSON.parse(line)), sent);
    const status = await interrupt(tail);
    assert.equal(status.code, 0, tail.stderr());
    assert.equal(status.signal, null, "it handled the signal and exited by itself");
    assert.equal(tail.stderr(), "");
  } finally {
    if (tail) await tail.stop();
    await logs.close();
    await xpub.close();
  }
});

Deno.test("logs tail: one plain line per record; --level and --component filter; control characters escaped", async () => {
  const { xpub, logs, endpoint } = await xpubSink();
  let tail: Running | undefined;
  try {
    tail = await startTail(xpub, endpoint, [
      "--level",
      "warning",
      "--component",
      "planner",
      "-c",
      "arm",
    ]);
    const time = Date.UTC(2026, 11, 1, 12, 0, 1, 234);
    logs.publish("planner", record("info", "too low", time));
    logs.publish("odometry", record("error", "other component", time));
    logs.publish("planner", record("warning", "no path\nto the dock", time));
    logs.publish("arm", {
      ...record("error", `gripper ${ESC}[31mjammed${ESC}[0m`, time),
      category: ["zedge", "socket"],
    });
    logs.publish("planner", record("fatal", "done", time));
    await tail.waitFor(/: done\n/);
    assert.deepEqual(stdoutLines(tail), [
      "2026-12-01T12:00:01.234Z warning kitchen-bot.planner: no path\\nto the dock",
      "2026-12-01T12:00:01.234Z error   kitchen-bot.arm zedge.socket: gripper \\x1b[31mjammed\\x1b[0m",
      "2026-12-01T12:00:01.234Z fatal   kitchen-bot.planner: done",
    ]);
    assert.equal((await tail.stop()).code, 0); // SIGTERM too
  } finally {
    if (tail) await tail.stop();
    await logs.close();
    await xpub.close();
  }
});

Deno.test("logs tail: --robot (with --component) subscribes at the publisher, which filters", async () => {
  const { xpub, logs, endpoint } = await xpubSink();
  const other = await createPubLogSink({ socket: xpub, robot: "arm-bot" });
  let tail: Running | undefined;
  try {
    tail = await startTail(xpub, endpoint, ["--robot", ROBOT, "-c", "planner", "-c", "arm"], [
      `${ROBOT}.planner.`,
      `${ROBOT}.arm.`,
    ]);
    other.publish("planner", record("error", "another robot"));
    logs.publish("odometry", record("error", "another component"));
    logs.publish("planner", record("info", "wanted"));
    await tail.waitFor(/wanted\n/);
    assert.equal(stdoutLines(tail).length, 1);
    assert.match(stdoutLines(tail)[0], / info {4}kitchen-bot\.planner: wanted$/);
    assert.equal((await interrupt(tail)).code, 0);
  } finally {
    if (tail) await tail.stop();
    await other.close();
    await logs.close();
    await xpub.close();
  }
});

Deno.test("logs tail: coloured with --color always or on a terminal, not under NO_COLOR", async () => {
  const { xpub, logs, endpoint } = await xpubSink();
  const tails: Running[] = [];
  try {
    const piped = await startTail(xpub, endpoint, ["--color", "always"]);
    tails.push(piped);
    // On a pseudo-terminal (script(1)): colour and the terminal's layout, unless NO_COLOR.
    const onTerminal = (noColor: string) => {
      const command = [Deno.execPath(), ...zedgeArgs("logs", "tail", endpoint)].join(" ");
      return spawn("script", ["-qfec", command, "/dev/null"], "null", { NO_COLOR: noColor });
    };
    tails.push(onTerminal(""));
    await subscriptionSeen(xpub, "");
    tails.push(onTerminal("1"));
    await subscriptionSeen(xpub, "");
    const time = Date.UTC(2026, 11, 1, 12, 0, 1, 234);
    logs.publish("planner", record("warning", "two\nlines", time));
    for (const tail of tails) await tail.waitFor(/lines/);
    const [colourPiped, colourTerminal, plainTerminal] = tails.map((tail) => tail.stdout());
    assert.equal(
      colourPiped,
      `${ESC}[2m2026-12-01T12:00:01.234Z${ESC}[0m ${ESC}[33mwarning${ESC}[0m ` +
        `${ESC}[36mkitchen-bot.planner${ESC}[0m: two\\nlines\n`,
    );
    const clock = new Date(time).toTimeString().slice(0, 8) + ".234";
    assert.ok(
      colourTerminal.includes(`${ESC}[2m${clock}${ESC}[0m ${ESC}[33mwarning${ESC}[0m `),
      JSON.stringify(colourTerminal),
    );
    // On a terminal a message keeps its lines, indented under the record.
    assert.ok(colourTerminal.includes("two\r\n  lines"), JSON.stringify(colourTerminal));
    assert.ok(!plainTerminal.includes(ESC), JSON.stringify(plainTerminal));
    assert.ok(plainTerminal.includes(`${clock} warning kitchen-bot.planner: two`));
  } finally {
    for (const tail of tails) await tail.stop();
    await logs.close();
    await xpub.close();
  }
});

Deno.test("logs tail: a message that is not a log record is skipped with the reason; the next one prints", async () => {
  const { xpub, logs, endpoint } = await xpubSink();
  let tail: Running | undefined;
  try {
    tail = await startTail(xpub, endpoint, []);
    await xpub.send("just one frame");
    await xpub.send(["t", "{not json"]);
    await xpub.send(["t", JSON.stringify({ level: "info" })]);
    await xpub.send(["t", "{}"]);
    logs.publish("planner", record("info", "still here"));
    await tail.waitFor(/still here\n/);
    assert.equal(stdoutLines(tail).length, 1);
    const status = await interrupt(tail);
    assert.equal(status.code, 0);
    assert.deepEqual(tail.stderr().trim().split("\n"), [
      "zedge: skipped a message that is not a log record: expected 2 frames (topic, JSON body), got 1",
      "zedge: skipped a message that is not a log record: the body is not UTF-8 JSON " +
      `(${errorOfParse("{not json")})`,
      "zedge: skipped a message that is not a log record: 'time' is not a number of ms since the epoch",
      "zedge: skipped 4 messages that were not log records",
    ]);
  } finally {
    if (tail) await tail.stop();
    await logs.close();
    await xpub.close();
  }
});

function errorOfParse(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  return "";
}

Deno.test("logs tail: --bind lets publishers connect to it", async () => {
  const port = freeTcpPort();
  const endpoint = `tcp://127.0.0.1:${port}`;
  const tail = spawn(Deno.execPath(), zedgeArgs("logs", "tail", "--bind", endpoint), "null");
  const logs = await createPubLogSink({ endpoint, connect: true, robot: ROBOT });
  try {
    // The tail's subscription reaches the connecting PUB some time after it connects.
    const printed = tail.waitFor(/hello from a connecting publisher\n/);
    const deadline = Date.now() + 20_000;
    let done = false;
    printed.then(() => done = true, () => done = true);
    while (!done && Date.now() < deadline) {
      logs.publish("planner", record("info", "hello from a connecting publisher"));
      await Promise.race([printed.catch(() => {}), new Promise((r) => setTimeout(r, 50))]);
    }
    await printed;
    assert.equal((await interrupt(tail)).code, 0);
  } finally {
    await tail.stop();
    await logs.close();
  }
});

Deno.test("logs tail: bad input gets one clear line and a non-zero exit; --help explains", async () => {
  const cases: [string[], number, RegExp][] = [
    [
      ["udp://robot:7790"],
      2,
      /^zedge: invalid endpoint 'udp:\/\/robot:7790': unsupported transport/,
    ],
    [
      ["tcp://*:7790"],
      2,
      /^zedge: invalid endpoint 'tcp:\/\/\*:7790': '\*' can be bound \(--bind\)/,
    ],
    [["tcp://127.0.0.1:7790", "--level", "loud"], 2, /--level.*must be one of trace, debug/],
    [["tcp://127.0.0.1:7790", "--color", "sometimes"], 2, /--color.*sometimes.*invalid/],
    [[], 2, /missing required argument 'endpoint'/],
  ];
  for (const [args, code, message] of cases) {
    const result = await zedge(["logs", "tail", ...args]);
    assert.equal(result.code, code, `${args.join(" ")}: ${result.stderr}`);
    assert.match(result.stderr, message);
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
  }
  const help = await zedge(["logs", "tail", "--help"]);
  assert.equal(help.code, 0);
  for (const flag of ["--level", "--component", "--robot", "--json", "--bind", "--color"]) {
    assert.ok(help.stdout.includes(flag), flag);
  }
  assert.match((await zedge(["logs", "--help"])).stdout, /tail/);
  // An endpoint that cannot be bound.
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (taken.addr as Deno.NetAddr).port;
    const result = await zedge(["logs", "tail", "--bind", `tcp://127.0.0.1:${port}`]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`^zedge: cannot bind tcp://127\\.0\\.0\\.1:${port}: `));
  } finally {
    taken.close();
  }
});
