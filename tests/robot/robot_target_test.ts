// Naming a running robot by its YAML: the fast path (cli/robot_peek.ts, no
// schema) must find the same control endpoint and robot key as the full
// load would — the file's control or the default places (XDG, /run/zedge,
// /tmp), the `.pub` beside security.curve.secretKey or the key read from the
// secret certificate — and a file it cannot read plainly is loaded and its
// problems said with their lines.
import assert from "node:assert/strict";
import { join } from "node:path";
import { writeCertificatePair } from "../../mod.ts";
import { loadRobotConfig } from "../../robot/config.ts";
import { peekRobot } from "../../cli/robot_peek.ts";
import { robotTarget } from "../../cli/robot_target.ts";
import { fileRobotSource } from "../../cli/robot_common.ts";
import { CliError } from "../../cli/errors.ts";
import { robotDir } from "./helpers.ts";

const NODE = "export default async function main() {}\n";

/** The fields both paths give, from the fast path and from the full load. */
async function bothWays(file: string) {
  const peeked = await peekRobot(file);
  assert.ok(peeked !== null, `${file} is read plainly`);
  const loaded = await loadRobotConfig(file, { checkFiles: false, protectedMode: false });
  return {
    peeked,
    loaded: {
      robot: loaded.robot,
      control: loaded.control,
      controlIsDefault: loaded.controlIsDefault,
      security: loaded.security === null ? null : { secretKey: loaded.security.secretKey },
    },
  };
}

Deno.test("robot target: the fast path finds the endpoint and key the full load finds", async () => {
  const dir = await robotDir({ "n.js": NODE });
  const previousXdg = Deno.env.get("XDG_RUNTIME_DIR");
  const robot = `zt-${crypto.randomUUID().slice(0, 8)}`;
  const tmpSocket = `/tmp/zedge-${robot}.sock`;
  try {
    const keys = join(dir, "keys");
    await Deno.mkdir(keys);
    const pair = await writeCertificatePair(join(keys, robot));
    const alice = await writeCertificatePair(join(dir, "alice"));
    const components = "components:\n  n: { kind: node, module: ./n.js }\n";

    // The file's control and a relative secretKey (beyond loopback without insecure: still named).
    const secure = join(dir, "secure.yaml");
    await Deno.writeTextFile(
      secure,
      `robot: ${robot}\nsecurity: { curve: { secretKey: keys/${robot}.key } }\n` +
        `control: tcp://0.0.0.0:7700\n${components}`,
    );
    const { peeked, loaded } = await bothWays(secure);
    assert.deepEqual(peeked, loaded);
    const target = await robotTarget(fileRobotSource, secure, {
      timeout: "3000",
      curveSecret: alice.secretFile,
    });
    assert.equal(target.endpoint, "tcp://0.0.0.0:7700");
    assert.equal(target.curve?.serverKey, pair.publicKey);
    assert.equal(target.curve?.publicKey, alice.publicKey);
    // Without the .pub beside it, the robot's key is read from its secret certificate.
    await Deno.remove(pair.publicFile);
    const again = await robotTarget(fileRobotSource, secure, {
      timeout: "3000",
      curveSecret: alice.secretFile,
    });
    assert.equal(again.curve?.serverKey, pair.publicKey);
    // The robot speaks CURVE: without an operator key, one line says which flag to give.
    await assert.rejects(
      () => robotTarget(fileRobotSource, secure, { timeout: "3000" }),
      (e: Error) => e instanceof CliError && /--curve-secret FILE/.test(e.message),
    );

    // No control in the file: XDG_RUNTIME_DIR's place, or the first default place that holds one.
    const plain = join(dir, "plain.yaml");
    await Deno.writeTextFile(plain, `robot: ${robot}\n${components}`);
    Deno.env.set("XDG_RUNTIME_DIR", dir);
    const defaults = await bothWays(plain);
    assert.deepEqual(defaults.peeked, defaults.loaded);
    assert.equal(defaults.peeked.control, `ipc://${dir}/zedge/${robot}.sock`);
    const xdg = await robotTarget(fileRobotSource, plain, { timeout: "3000" });
    assert.equal(xdg.endpoint, `ipc://${dir}/zedge/${robot}.sock`);
    assert.equal(xdg.curve, undefined);
    await Deno.writeTextFile(tmpSocket, "");
    const tmp = await robotTarget(fileRobotSource, plain, { timeout: "3000" });
    assert.equal(tmp.endpoint, `ipc://${tmpSocket}`);
    // --control wins over everything, and cannot be given with a YAML.
    const given = await robotTarget(fileRobotSource, undefined, {
      timeout: "3000",
      control: "ipc:///run/zedge/elsewhere.sock",
    });
    assert.equal(given.endpoint, "ipc:///run/zedge/elsewhere.sock");
    await assert.rejects(
      () => robotTarget(fileRobotSource, plain, { timeout: "3000", control: "ipc:///x.sock" }),
      (e: Error) => e instanceof CliError && /not both/.test(e.message),
    );

    // A file not plainly readable is loaded in full: its problem comes with its line.
    const broken = join(dir, "broken.yaml");
    await Deno.writeTextFile(broken, `robot: ${robot}\ncontrol: 7700\n${components}`);
    assert.equal(await peekRobot(broken), null);
    await assert.rejects(
      () => robotTarget(fileRobotSource, broken, { timeout: "3000" }),
      (e: Error) => e instanceof CliError && /broken\.yaml:2: control/.test(e.message),
    );
  } finally {
    if (previousXdg === undefined) Deno.env.delete("XDG_RUNTIME_DIR");
    else Deno.env.set("XDG_RUNTIME_DIR", previousXdg);
    await Deno.remove(tmpSocket).catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});
