// A robot in another Deno project (its deno.json links a zedge checkout, as
// docs/deploy.md says) whose node imports values from `@zedge/zedge` and
// types from `@zedge/zedge/robot` runs with no extra YAML: started with
// exactly the robot process's flags that `zedge robot permissions` prints,
// the node needs no read permission for any of that code.
import assert from "node:assert/strict";
import { join } from "node:path";
import { repoPath } from "../tasks/helpers.ts";
import { run, spawn } from "../tasks/processes.ts";
import { robotDir } from "./helpers.ts";

Deno.test("a robot module imports @zedge/zedge and @zedge/zedge/robot with no extra YAML", async () => {
  const name = `ztr-import-${crypto.randomUUID().slice(0, 8)}`;
  const dir = await robotDir({
    "deno.json": JSON.stringify({ links: [repoPath("")] }),
    "nodes/uses_zedge.ts": `import { Push } from "@zedge/zedge";
import type { NodeContext } from "@zedge/zedge/robot";
export default async function main(ctx: NodeContext) {
  const push = new Push();
  ctx.log.info("imported: Push is a " + typeof Push);
  await push.close();
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
}
`,
    "robot.yaml": `robot: ${name}
components:
  user: { kind: node, module: ./nodes/uses_zedge.ts }
`,
  });
  const cli = repoPath("cli/main.ts");
  const report = await run(Deno.execPath(), [
    "run",
    "-A",
    cli,
    "robot",
    "permissions",
    join(dir, "robot.yaml"),
    "--json",
  ]);
  assert.equal(report.code, 0, report.stderr);
  const { components, process } = JSON.parse(report.stdout);
  assert.deepEqual(components[0].permissions.read, [], "the node reads no code");
  // Exactly the process's flags, run from the project (its deno.json links zedge).
  const robot = spawn(
    Deno.execPath(),
    ["run", ...process.flags, cli, "robot", "run", join(dir, "robot.yaml")],
    "null",
    {},
    dir,
  );
  try {
    await robot.waitFor(/imported: Push is a function/, 30_000);
    assert.doesNotMatch(robot.stderr(), /Requires read access|--allow-read/);
  } finally {
    assert.equal((await robot.stop()).code, 0, robot.stderr());
    await Deno.remove(dir, { recursive: true });
  }
});
