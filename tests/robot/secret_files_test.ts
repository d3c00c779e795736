// Secret files other users may read are refused, as ssh refuses such a private key: the robot's
// CURVE secret key, the status page's users file and its token file, by `zedge robot check` and
// `zedge robot run`, in one line naming the YAML field, the file, its mode and `chmod 600 FILE`.
import assert from "node:assert/strict";
import { join } from "node:path";
import { writeCertificatePair } from "../../core/security/certificates.ts";
import { secretFileProblem } from "../../robot/secret_files.ts";
import { zedge } from "../tasks/processes.ts";
import { CALM, robotDir, robotYaml } from "./helpers.ts";

Deno.test("secret files open to other users: refused by robot check and robot run, one line each", async () => {
  const dir = await robotDir({
    "calm.ts": CALM,
    "robot.yaml": robotYaml(
      "  calm: { kind: node, module: ./calm.ts }\n",
      "security: { curve: { secretKey: keys/test-bot.key } }\n" +
        "status: { listen: 127.0.0.1:0, users: status-users, tokenFile: status-token }\n",
    ),
  });
  await writeCertificatePair(join(dir, "keys", "test-bot"));
  await Deno.writeTextFile(join(dir, "status-users"), "alice=s3cret\n", { mode: 0o600 });
  await Deno.writeTextFile(join(dir, "status-token"), "t0ken\n", { mode: 0o600 });
  const yaml = join(dir, "robot.yaml");
  try {
    assert.equal((await zedge(["robot", "check", yaml])).code, 0, "all 0600: accepted");
    const fields: [string, string, number][] = [
      ["security.curve.secretKey", join(dir, "keys", "test-bot.key"), 2],
      ["status.users", join(dir, "status-users"), 3],
      ["status.tokenFile", join(dir, "status-token"), 3],
    ];
    for (const [field, file, line] of fields) {
      for (const mode of [0o644, 0o640, 0o604]) {
        await Deno.chmod(file, mode);
        const octal = `0${mode.toString(8)}`;
        for (const command of ["check", "run"]) {
          const refused = await zedge(["robot", command, yaml]);
          assert.equal(refused.code, 2, `${command} ${field} ${octal}: ${refused.stderr}`);
          const lines = refused.stderr.trim().split("\n");
          assert.equal(lines.length, 1, refused.stderr);
          assert.equal(
            lines[0],
            `zedge: ${yaml}:${line}: ${field}: ${file} is open to other users (mode ${octal}); ` +
              `a secret must be readable by its owner only: chmod 600 ${file}`,
          );
        }
      }
      await Deno.chmod(file, 0o600);
    }
    await Deno.chmod(join(dir, "status-users"), 0o400);
    assert.equal((await zedge(["robot", "check", yaml])).code, 0, "0400: accepted");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("secretFileProblem: a missing file is not its business, a 0600 one passes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zedge-secret-" });
  try {
    assert.equal(secretFileProblem(join(dir, "absent.key")), null);
    await Deno.writeTextFile(join(dir, "own.key"), "x", { mode: 0o600 });
    assert.equal(secretFileProblem(join(dir, "own.key")), null);
    await Deno.chmod(join(dir, "own.key"), 0o660);
    assert.match(secretFileProblem(join(dir, "own.key"))!, /mode 0660\); .*chmod 600 /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a component's own secret key open to other users is refused too, naming the component", async () => {
  const dir = await robotDir({
    "calm.ts": CALM,
    "robot.yaml": robotYaml(
      "  calm:\n    kind: node\n    module: ./calm.ts\n" +
        '    bind: { api: "tcp://127.0.0.1:47811" }\n' +
        "    security: { curve: { secretKey: keys/calm.key } }\n",
    ),
  });
  await writeCertificatePair(join(dir, "keys", "calm"));
  const yaml = join(dir, "robot.yaml");
  const key = join(dir, "keys", "calm.key");
  try {
    assert.equal((await zedge(["robot", "check", yaml])).code, 0, "0600: accepted");
    await Deno.chmod(key, 0o644);
    const refused = await zedge(["robot", "check", yaml]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(
      refused.stderr.trim(),
      new RegExp(
        `^zedge: ${yaml}:\\d+: components\\.calm\\.security: ${key} is open to other users ` +
          `\\(mode 0644\\); a secret must be readable by its owner only: chmod 600 ${key}$`,
      ),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("secretFileProblem: judged as the robot's user, who may read a key through its group", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zedge-secret-" });
  const key = join(dir, "handed.key");
  try {
    await Deno.writeTextFile(key, "x", { mode: 0o600 });
    await Deno.chmod(key, 0o640);
    const owner = Deno.statSync(key).uid!;
    const robotUser = owner + 1; // the unit's --user: not the file's owner
    assert.match(secretFileProblem(key)!, /mode 0640\)/, "the owner's own key, its group reads");
    assert.equal(secretFileProblem(key, robotUser), null, "owner:robot-group 0640 for the robot");
    await Deno.chmod(key, 0o644);
    assert.match(secretFileProblem(key, robotUser)!, /mode 0644\)/, "every user: refused for all");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("robot systemd --user USER judges the secret files as USER reads them", async () => {
  const dir = await robotDir({
    "calm.ts": CALM,
    "robot.yaml": robotYaml(
      "  calm: { kind: node, module: ./calm.ts }\n",
      "security: { curve: { secretKey: keys/test-bot.key } }\n",
    ),
  });
  await writeCertificatePair(join(dir, "keys", "test-bot"));
  const key = join(dir, "keys", "test-bot.key");
  const yaml = join(dir, "robot.yaml");
  const me = Deno.statSync(key).uid!;
  // A user of this machine other than the key's owner, as the unit's --user.
  const other = (await Deno.readTextFile("/etc/passwd")).split("\n").map((l) => l.split(":"))
    .find(([name, , uid]) => name !== "" && uid !== undefined && Number(uid) !== me);
  assert.ok(other !== undefined, "/etc/passwd names another user");
  try {
    await Deno.chmod(key, 0o640);
    const asMe = await zedge(["robot", "systemd", yaml, "-o", "-"]);
    assert.equal(asMe.code, 2, "without --user: this user's own key, group-readable");
    assert.match(asMe.stderr, /is open to other users \(mode 0640\)/);
    const asOther = await zedge(["robot", "systemd", yaml, "--user", other[0], "-o", "-"]);
    assert.equal(asOther.code, 0, `--user ${other[0]}: ${asOther.stderr}`);
    assert.match(asOther.stdout, new RegExp(`^User=${other[0]}$`, "m"));
    await Deno.chmod(key, 0o644);
    const open = await zedge(["robot", "systemd", yaml, "--user", other[0], "-o", "-"]);
    assert.equal(open.code, 2, "open to every user: refused whoever runs it");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
