// Another local user against the files zedge writes where that user can
// name a path first (a sticky, world-writable directory as /tmp): a
// recording of the robot's data, a key pair, a pipeline's log file. Each is
// created readable by its owner alone, never written through a symbolic
// link the other user left (which would overwrite, or create, a file of
// the robot user's choosing by the other's), and never into a file the
// other user made (which they would then read). And the control socket's
// default place in /tmp, which the other user can take while the robot is
// not running: a client refuses to ask a socket there that is not its
// user's or root's.
import assert from "node:assert/strict";
import { join } from "node:path";
import { PYTHON } from "../tasks/helpers.ts";
import { spawn, zedge } from "../tasks/processes.ts";
import { CALM, robotDir, spawnRobot } from "./helpers.ts";
import { type LocalUser, stickyDir, withLocalUser } from "./local_user.ts";

const TALKER = `export default async function main(ctx) {
  const timer = setInterval(() => ctx.publish("pose", { x: 1 }).catch(() => {}), 10);
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
  clearInterval(timer);
}
`;

/** A file of the robot user's that the other user may name but not read or write. */
async function preciousFile(dir: string): Promise<string> {
  const path = join(dir, "precious.txt");
  await Deno.writeTextFile(path, "keep me\n", { mode: 0o600 });
  return path;
}

/** Whether the other user can read `path`. */
async function readableBy(user: LocalUser, path: string): Promise<boolean> {
  return (await user.run("cat", path)).code === 0;
}

async function assertPrivateFile(path: string): Promise<void> {
  const info = await Deno.lstat(path);
  assert.ok(info.isFile, `${path} is a regular file`);
  assert.equal(info.uid, Deno.uid());
  assert.equal(info.mode! & 0o777, 0o600, `${path} mode 0${(info.mode! & 0o777).toString(8)}`);
}

async function withSharedDir(body: (shared: string, own: string) => Promise<void>): Promise<void> {
  const own = await Deno.makeTempDir({ prefix: "zedge-own-" });
  const base = await Deno.makeTempDir({ prefix: "zedge-shared-" });
  try {
    await body(await stickyDir(base), own);
  } finally {
    await Deno.remove(base, { recursive: true });
    await Deno.remove(own, { recursive: true });
  }
}

Deno.test("a recording is its owner's alone, and another user's link at -o is replaced, not followed", async () => {
  await withLocalUser((other) =>
    withSharedDir(async (shared, own) => {
      const dir = await robotDir({ "talker.js": TALKER });
      await Deno.writeTextFile(
        join(dir, "robot.yaml"),
        `robot: rec-private
control: ipc://${dir}/control.sock
components:
  talker: { kind: node, module: ./talker.js, publishes: { pose: json } }
`,
      );
      const robot = await spawnRobot(join(dir, "robot.yaml"));
      try {
        const record = (output: string, ...extra: string[]) =>
          zedge([
            "robot",
            "record",
            join(dir, "robot.yaml"),
            "-o",
            output,
            "--duration",
            "0.3",
            ...extra,
          ]);
        // A link pointing nowhere yet: following it would create a file of the other's choosing.
        const planted = join(own, "planted.txt");
        const dangling = join(shared, "dangling.mcap");
        assert.equal((await other.run("ln", "-s", planted, dangling)).code, 0);
        const refused = await record(dangling);
        assert.equal(refused.code, 2, refused.stderr);
        assert.match(refused.stderr, /dangling\.mcap exists: give another -o, or --force/);
        await assert.rejects(Deno.lstat(planted), Deno.errors.NotFound);

        // --force replaces the link itself; the file it named is untouched.
        const precious = await preciousFile(own);
        const linked = join(shared, "run.mcap");
        assert.equal((await other.run("ln", "-s", precious, linked)).code, 0);
        const forced = await record(linked, "--force");
        assert.equal(forced.code, 0, forced.stderr);
        assert.equal(await Deno.readTextFile(precious), "keep me\n");
        await assertPrivateFile(linked);
        assert.equal(await readableBy(other, linked), false, "the other user reads the recording");

        // A file the other user made, which they could read after the robot's user filled it.
        const theirs = join(shared, "theirs.mcap");
        assert.equal((await other.run("touch", theirs)).code, 0);
        assert.equal((await other.run("chmod", "666", theirs)).code, 0);
        assert.equal((await record(theirs, "--force")).code, 0);
        await assertPrivateFile(theirs);
        assert.equal(await readableBy(other, theirs), false, "the other user reads the recording");
      } finally {
        assert.equal((await robot.stop()).code, 0, robot.stderr());
        await Deno.remove(dir, { recursive: true });
      }
    })
  );
});

Deno.test("keys generate --force never writes a secret key through another user's link", async () => {
  await withLocalUser((other) =>
    withSharedDir(async (shared) => {
      // The other user's own file, linked as the key: once the key is written into it, they
      // own it, may chmod it back and read the robot's secret.
      const bait = join(shared, "bait");
      assert.equal((await other.run("touch", bait)).code, 0);
      assert.equal((await other.run("chmod", "666", bait)).code, 0);
      const base = join(shared, "robot");
      assert.equal((await other.run("ln", "-s", bait, `${base}.key`)).code, 0);
      assert.equal((await other.run("ln", "-s", bait, `${base}.pub`)).code, 0);
      const made = await zedge(["keys", "generate", base, "--force"]);
      assert.equal(made.code, 0, made.stderr);
      assert.equal(await Deno.readTextFile(bait), "", "the key went into the other user's file");
      await assertPrivateFile(`${base}.key`);
      assert.equal(await readableBy(other, `${base}.key`), false);
      assert.ok((await Deno.lstat(`${base}.pub`)).isFile);
    })
  );
});

Deno.test("a pipeline's log file is its owner's alone, never another user's file or link", async () => {
  await withLocalUser((other) =>
    withSharedDir(async (shared, own) => {
      await Deno.writeTextFile(join(own, "handlers.ts"), "export const square = (x) => x * x;\n");
      const config = join(own, "p.yaml");
      const pipeline = (log: string) =>
        Deno.writeTextFile(
          config,
          `endpoints:
  workers: ipc://${own}/w.sock
  acks: ipc://${own}/a.sock
  results: ipc://${own}/r.sock
tasks:
  square: { count: 2 }
workers:
  - handlers: ./handlers.ts
logging: { level: info, file: ${log} }
`,
        );
      const planted = join(own, "planted.log");
      const linked = join(shared, "linked.log");
      assert.equal((await other.run("ln", "-s", planted, linked)).code, 0);
      await pipeline(linked);
      const viaLink = await zedge(["pipeline", "check", "-c", config]);
      assert.equal(viaLink.code, 2, viaLink.stderr);
      assert.match(viaLink.stderr, /logging\.file: cannot open .*linked\.log is a symbolic link/);
      await assert.rejects(Deno.lstat(planted), Deno.errors.NotFound);

      const theirs = join(shared, "theirs.log");
      assert.equal((await other.run("touch", theirs)).code, 0);
      assert.equal((await other.run("chmod", "666", theirs)).code, 0);
      await pipeline(theirs);
      const intoTheirs = await zedge(["pipeline", "check", "-c", config]);
      assert.equal(intoTheirs.code, 2, intoTheirs.stderr);
      assert.match(intoTheirs.stderr, new RegExp(`theirs\\.log is owned by user ${other.uid}`));

      const fresh = join(shared, "fresh.log");
      await pipeline(fresh);
      const made = await zedge(["pipeline", "run", "-c", config]);
      assert.equal(made.code, 0, made.stderr);
      await assertPrivateFile(fresh);
      assert.match(await Deno.readTextFile(fresh), / info zedge\.pipeline\./);
      // Appended to, not replaced, on the next run.
      const before = (await Deno.readTextFile(fresh)).length;
      assert.equal((await zedge(["pipeline", "run", "-c", config])).code, 0);
      assert.ok((await Deno.readTextFile(fresh)).length > before);
    })
  );
});

Deno.test("a control socket another user bound at the default /tmp path is refused, not asked", async () => {
  await withLocalUser(async (other) => {
    const dir = await robotDir({ "n.js": CALM });
    const robot = `zo-${crypto.randomUUID().slice(0, 8)}`;
    await Deno.writeTextFile(
      join(dir, "robot.yaml"),
      `robot: ${robot}\ncomponents:\n  n: { kind: node, module: ./n.js }\n`,
    );
    // The robot is not running; the other user answers at its default control path, and would
    // see what an operator sends there (here: that anything came at all).
    const path = `/tmp/zedge-${robot}.sock`;
    const impostor = spawn("setpriv", [
      `--reuid=${other.uid}`,
      `--regid=${other.gid}`,
      "--clear-groups",
      "--",
      PYTHON,
      "-c",
      `import os, socket
s = socket.socket(socket.AF_UNIX)
s.bind(${JSON.stringify(path)})
os.chmod(${JSON.stringify(path)}, 0o777)
s.listen()
print("listening", flush=True)
c, _ = s.accept()
print("asked", len(c.recv(64)), flush=True)
`,
    ]);
    try {
      await impostor.waitFor(/listening/);
      assert.equal((await Deno.lstat(path)).uid, other.uid);
      const status = await zedge(["robot", "status", join(dir, "robot.yaml"), "--timeout", "1000"]);
      assert.equal(status.code, 2, status.stderr);
      assert.match(
        status.stderr,
        new RegExp(`${path} belongs to user ${other.uid}, not to you \\(0\\) or root`),
      );
      assert.doesNotMatch(impostor.stdout(), /asked/);
    } finally {
      await impostor.stop();
      await Deno.remove(path).catch(() => {});
      await Deno.remove(dir, { recursive: true });
    }
  });
});
