/**
 * CURVE through the task commands, each its own `zedge` process: a task
 * server started with `--curve-secret` and `--curve-allow` serves a client
 * with the right `--curve-server-key` and an allowed `--curve-secret`
 * (events channel included), refuses a stranger's key with a logged reason,
 * gives nothing to a client without CURVE, and `remote-task` finds the key
 * in remotes.yaml's `serverKey`. A server key that starts with '-' works
 * as the server prints it (quoted, after '=') and as a separate argument.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  formatCertificate,
  generateKeyPair,
  parseRemotes,
  writeCertificatePair,
} from "../../mod.ts";
import { startZedgeServer, zedge } from "./processes.ts";
import { tempDir } from "../core/helpers.ts";

Deno.test("cli: task-server --curve-secret/--curve-allow with task-client and remote-task", async () => {
  const dir = await tempDir("zedge-curve-");
  const robot = await writeCertificatePair(join(dir, "robot"));
  const operator = await writeCertificatePair(join(dir, "operator"));
  const stranger = await writeCertificatePair(join(dir, "stranger"));
  const { server, port, events } = await startZedgeServer(
    "-e",
    "tcp://127.0.0.1:0",
    "--curve-secret",
    robot.secretFile,
    "--curve-allow",
    operator.publicFile,
  );
  try {
    await server.waitFor(
      new RegExp(`CURVE: clients connect with --curve-server-key='${escape(robot.publicKey)}'`),
    );
    const client = (...extra: string[]) =>
      zedge(["task-client", "-r", "127.0.0.1", "-p", String(port), "-t", "5", ...extra]);

    const ok = await client(
      "-e",
      String(events),
      "--curve-server-key",
      robot.publicFile,
      "--curve-secret",
      operator.secretFile,
      "test:echo:over CURVE",
    );
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /finished in state 'COMPLETED'.*Result is 'over CURVE'/);

    const refused = await client(
      "--request-timeout",
      "500",
      `--curve-server-key=${robot.publicKey}`,
      "--curve-secret",
      stranger.secretFile,
      "test:echo:let me in",
    );
    assert.notEqual(refused.code, 0);
    await server.waitFor(/refused CURVE client 127\.0\.0\.1 .*is not in the allow list/);

    const clear = await client("--request-timeout", "500", "test:echo:in clear");
    assert.notEqual(clear.code, 0);
    await server.waitFor(/peer uses security mechanism NULL; this socket uses CURVE/);

    const remotes = join(dir, "remotes.yaml");
    await Deno.writeTextFile(
      remotes,
      `remotes:\n  arm: {host: 127.0.0.1, port: ${port}, scope: /test, serverKey: robot.pub}\n`,
    );
    const viaRemotes = await zedge([
      "remote-task",
      "-c",
      remotes,
      "-t",
      "5",
      "--curve-secret",
      operator.secretFile,
      "arm",
      "test:echo:from remotes.yaml",
    ]);
    assert.equal(viaRemotes.code, 0, viaRemotes.stdout + viaRemotes.stderr);
    assert.match(viaRemotes.stdout, /Result is 'from remotes.yaml'/);

    const badKey = await client("--curve-server-key", join(dir, "missing.pub"), "test:echo:x");
    assert.equal(badKey.code, 2);
    assert.match(badKey.stderr, /^zedge: cannot read the key file .*missing\.pub/m);
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: a server key starting with '-' is a key, as the server prints it and as its own argument", async () => {
  const dir = await tempDir("zedge-curve-dash-");
  let pair = await generateKeyPair();
  while (!pair.publicKey.startsWith("-")) pair = await generateKeyPair();
  const secretFile = join(dir, "robot.key");
  await Deno.writeTextFile(secretFile, formatCertificate({ ...pair, metadata: {} }, "secret"), {
    mode: 0o600,
  });
  const { server, port } = await startZedgeServer("--curve-secret", secretFile);
  try {
    const [, hint] = await server.waitFor(/CURVE: clients connect with (\S+)/);
    // What a shell makes of the printed flag: the quotes go, the rest is one argument.
    const pasted = hint.replace(/^(--curve-server-key=)'([^']*)'$/, "$1$2");
    assert.equal(pasted, `--curve-server-key=${pair.publicKey}`, hint);
    for (const flag of [[pasted], ["--curve-server-key", pair.publicKey]]) {
      const answer = await zedge([
        "task-client",
        "-r",
        "127.0.0.1",
        "-p",
        String(port),
        "-t",
        "5",
        ...flag,
        "test:echo:dash",
      ]);
      assert.equal(answer.code, 0, `${flag.join(" ")}: ${answer.stdout}${answer.stderr}`);
      assert.match(answer.stdout, /Result is 'dash'/);
    }
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

Deno.test("remotes: serverKey is a Z85 key as written, or a certificate path from the file's directory", () => {
  const remotes = parseRemotes(
    [
      "remotes:",
      "  a: {host: robot, port: 7779, scope: /a, serverKey: keys/robot.pub}",
      "  b: {host: robot, port: 7779, scope: /b, serverKey: 'rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7'}",
      "  c: {host: robot, port: 7779, scope: /c}",
      "",
    ].join("\n"),
    "/etc/zedge/remotes.yaml",
  );
  assert.equal(remotes.get("a")?.serverKey, "/etc/zedge/keys/robot.pub");
  assert.equal(remotes.get("b")?.serverKey, "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7");
  assert.equal(remotes.get("c")?.serverKey, undefined);
  assert.throws(
    () => parseRemotes("remotes:\n  a: {host: r, port: 1, scope: /a, serverKey: 5}\n", "r.yaml"),
    /r\.yaml:2: remotes\.a\.serverKey: must be the server's CURVE public key/,
  );
});
