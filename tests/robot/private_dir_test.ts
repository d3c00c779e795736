// The default ipc directory of a robot's dataflow (/tmp/zedge-<robot>) is
// the robot user's own, mode 0700; one that another user made first (here
// `nobody`, mode 0777, as a squatter on a shared machine would) is refused
// in one line naming the directory, its owner and mode.
import assert from "node:assert/strict";
import { join } from "node:path";
import { zedge } from "../tasks/processes.ts";
import { robotDir, spawnRobot } from "./helpers.ts";

const NOBODY = 65534;

function ipcRobot(name: string) {
  return robotDir({
    "n.ts":
      "export default (ctx) => new Promise((r) => ctx.signal.addEventListener('abort', r));\n",
    "robot.yaml": `robot: ${name}
dataflow: { transport: ipc }
components:
  a: { kind: node, module: ./n.ts, publishes: [odom] }
  b: { kind: node, module: ./n.ts, subscribes: [odom] }
`,
  });
}

Deno.test("a dataflow directory squatted by another user is refused; a fresh one is 0700", async () => {
  const name = `ztr-${crypto.randomUUID().slice(0, 8)}`;
  const squatted = `/tmp/zedge-${name}`;
  const dir = await ipcRobot(name);
  try {
    await Deno.mkdir(squatted);
    await Deno.chmod(squatted, 0o777);
    await Deno.chown(squatted, NOBODY, NOBODY);
    const refused = await zedge(["robot", "run", join(dir, "robot.yaml")]);
    assert.equal(refused.code, 1, refused.stderr);
    const lines = refused.stderr.trim().split("\n").filter((l) => !l.startsWith("info:"));
    assert.equal(lines.length, 1, refused.stderr);
    assert.match(
      lines[0],
      new RegExp(
        `${squatted} is owned by user ${NOBODY}, not this robot's user \\d+ \\(mode 0777\\)`,
      ),
    );
    // Nothing of the robot's is left in it.
    assert.deepEqual([...Deno.readDirSync(squatted)], []);

    await Deno.remove(squatted);
    const robot = await spawnRobot(join(dir, "robot.yaml"));
    try {
      const info = await Deno.lstat(squatted);
      assert.equal(info.mode! & 0o777, 0o700);
      assert.equal(info.uid, Deno.uid());
    } finally {
      assert.equal((await robot.stop()).code, 0, robot.stderr());
    }
  } finally {
    await Deno.remove(squatted, { recursive: true }).catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});
