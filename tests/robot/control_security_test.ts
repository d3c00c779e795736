// The control endpoint over tcp with the robot's key (security.curve): an
// operator may do every request, a peer robot only `directory`, any other
// key is refused at the handshake and logged with the key — checked with
// zedge's own client and CLI and with a pyzmq (libzmq) CURVE client. A raw
// connection whose greeting carries terminal escape codes reaches the
// robot's stderr escaped.
import assert from "node:assert/strict";
import { join } from "node:path";
import { writeCertificatePair } from "../../mod.ts";
import { controlRequest, ControlUnreachableError } from "../../robot/control.ts";
import { PYTHON, pythonZmqMissing } from "../tasks/helpers.ts";
import { run, zedge } from "../tasks/processes.ts";
import { CALM, freeTcpPort, robotDir, spawnRobot } from "./helpers.ts";

/** A REQ with CURVE from pyzmq: prints the reply, or TIMEOUT. */
const PYZMQ_REQUEST = `
import json, sys, zmq
endpoint, server, public, secret, request = sys.argv[1:6]
ctx = zmq.Context()
s = ctx.socket(zmq.REQ)
s.setsockopt(zmq.LINGER, 0)
s.setsockopt(zmq.RCVTIMEO, 3000)
s.curve_serverkey = server.encode()
s.curve_publickey = public.encode()
s.curve_secretkey = secret.encode()
s.connect(endpoint)
s.send(request.encode())
try:
    print(s.recv().decode())
except zmq.Again:
    print("TIMEOUT")
s.close()
ctx.term()
`;

async function keyedRobot() {
  const dir = await robotDir({ "calm.ts": CALM });
  const keys = join(dir, "keys");
  await Deno.mkdir(join(keys, "operators"), { recursive: true });
  const robot = await writeCertificatePair(join(keys, "kitchen-bot"));
  const alice = await writeCertificatePair(join(keys, "alice"));
  await Deno.copyFile(alice.publicFile, join(keys, "operators", "alice.pub"));
  const arm = await writeCertificatePair(join(keys, "arm-bot"));
  const stranger = await writeCertificatePair(join(keys, "stranger"));
  const port = freeTcpPort();
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    `robot: kitchen-bot
security:
  curve: { secretKey: keys/kitchen-bot.key, operators: [keys/operators/] }
control: tcp://127.0.0.1:${port}
peers:
  arm-bot: { control: "tcp://127.0.0.1:${freeTcpPort()}", serverKey: keys/arm-bot.pub }
components:
  calm: { kind: node, module: ./calm.ts }
`,
  );
  return { dir, control: `tcp://127.0.0.1:${port}`, robot, alice, arm, stranger };
}

/** A key pair as the control client takes it. */
async function pair(secretFile: string) {
  const text = await Deno.readTextFile(secretFile);
  const field = (name: string) => text.match(new RegExp(`${name} = "(.{40})"`))![1];
  return { publicKey: field("public-key"), secretKey: field("secret-key") };
}

Deno.test("control over CURVE: operators do everything, peers only the directory, strangers are refused and logged", async () => {
  const robotFile = await keyedRobot();
  const { dir, control, robot, alice, arm, stranger } = robotFile;
  const process = await spawnRobot(join(dir, "robot.yaml"));
  try {
    const serverKey = robot.publicKey;
    const asAlice = { serverKey, ...(await pair(alice.secretFile)) };
    const status = await controlRequest(control, { op: "status" }, { curve: asAlice });
    assert.ok(status.ok && "status" in status, JSON.stringify(status));
    assert.equal(status.status.robot, "kitchen-bot");
    const restarted = await controlRequest(control, { op: "restart", name: "calm" }, {
      curve: asAlice,
    });
    assert.deepEqual(restarted, { ok: true });

    const asArm = { serverKey, ...(await pair(arm.secretFile)) };
    const directory = await controlRequest(control, { op: "directory" }, { curve: asArm });
    assert.ok(directory.ok && "directory" in directory, JSON.stringify(directory));
    for (const op of ["status", "view"] as const) {
      assert.deepEqual(await controlRequest(control, { op }, { curve: asArm }), {
        ok: false,
        error:
          `'${op}' is not allowed to peer robot arm-bot (peer robots may ask for the directory only)`,
      });
    }
    assert.deepEqual(
      await controlRequest(control, { op: "stop", name: "calm" }, { curve: asArm }),
      {
        ok: false,
        error:
          "'stop' is not allowed to peer robot arm-bot (peer robots may ask for the directory only)",
      },
    );

    // A stranger's key is refused at the handshake: said at once, not after the timeout.
    const started = performance.now();
    await assert.rejects(
      controlRequest(control, { op: "status" }, {
        curve: { serverKey, ...(await pair(stranger.secretFile)) },
        timeoutMs: 10_000,
      }),
      (error) =>
        error instanceof ControlUnreachableError && /refused this client/.test(error.message),
    );
    assert.ok(performance.now() - started < 5000, "refused before the timeout");
    // No CURVE at all: refused too.
    await assert.rejects(
      controlRequest(control, { op: "status" }, { timeoutMs: 1500 }),
      ControlUnreachableError,
    );
    await process.waitFor(new RegExp(`refused CURVE client .*${escapeRegExp(stranger.publicKey)}`));

    // The CLI names the robot by its YAML (its public key is the .pub beside its secret key).
    const cli = await zedge([
      "robot",
      "status",
      join(dir, "robot.yaml"),
      "--curve-secret",
      alice.secretFile,
    ]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /^robot kitchen-bot · pid \d+/);
    const noKey = await zedge(["robot", "status", join(dir, "robot.yaml")]);
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /speaks CURVE: give your operator key with --curve-secret FILE/);
    const byFlags = await zedge([
      "robot",
      "directory",
      "--control",
      control,
      `--curve-server-key=${robot.publicFile}`,
      "--curve-secret",
      arm.secretFile,
      "--json",
    ]);
    assert.equal(byFlags.code, 0, byFlags.stderr);
    assert.equal(JSON.parse(byFlags.stdout).robot, "kitchen-bot");
  } finally {
    const exit = await process.stop();
    assert.equal(exit.code, 0, process.stderr());
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("control over CURVE against a pyzmq client: an operator's key is answered, a stranger's is not", async () => {
  const missing = await pythonZmqMissing();
  if (missing !== undefined) throw new Error(missing);
  const { dir, control, robot, alice, stranger } = await keyedRobot();
  const process = await spawnRobot(join(dir, "robot.yaml"));
  try {
    const ask = async (secretFile: string) => {
      const { publicKey, secretKey } = await pair(secretFile);
      const out = await run(PYTHON, [
        "-c",
        PYZMQ_REQUEST,
        control,
        robot.publicKey,
        publicKey,
        secretKey,
        JSON.stringify({ op: "status" }),
      ]);
      assert.equal(out.code, 0, out.stderr);
      return out.stdout.trim();
    };
    const answered = JSON.parse(await ask(alice.secretFile));
    assert.equal(answered.ok, true);
    assert.equal(answered.status.robot, "kitchen-bot");
    assert.equal(await ask(stranger.secretFile), "TIMEOUT");
    await process.waitFor(new RegExp(`refused CURVE client .*${escapeRegExp(stranger.publicKey)}`));
  } finally {
    const exit = await process.stop();
    assert.equal(exit.code, 0, process.stderr());
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("escape codes in a greeting's mechanism reach the robot's stderr escaped", async () => {
  const { dir, control } = await keyedRobot();
  const process = await spawnRobot(join(dir, "robot.yaml"));
  try {
    const port = Number(control.split(":").at(-1));
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    // ZMTP 3.0 greeting: signature, version 3.0, a 20-byte mechanism field, as-server, filler.
    const greeting = new Uint8Array(64);
    greeting.set([0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 0]);
    greeting.set(new TextEncoder().encode("\x1b]2;PWNED\x07\x1b[2J"), 12);
    await conn.write(greeting);
    await process.waitFor(/PWNED/);
    conn.close();
    const stderr = process.stderr();
    assert.ok(!stderr.includes("\x1b]2;"), "no raw escape sequence on stderr");
    assert.match(stderr, /\\x1b\]2;PWNED\\x07\\x1b\[2J/);
  } finally {
    await process.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
