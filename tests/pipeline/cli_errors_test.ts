/**
 * `zedge pipeline` refuses what can never finish and says why in one line
 * per problem: a task type no worker's module exports (`check`, `run` and
 * `distributor`, naming which module exports which types), a `types` or
 * `services` entry its module lacks, a handler module with a syntax error
 * (file:line:column) or that throws at top level; every problem of the file
 * at once; and `run` ends on Ctrl-C with exit 130 and no stack trace.
 *
 * @module
 */
import assert from "node:assert/strict";
import { spawn, zedge, zedgeArgs } from "../tasks/processes.ts";
import { withDir } from "./fixtures/helpers.ts";
import { within } from "../core/helpers.ts";

const fixtures = new URL("./fixtures/", import.meta.url).pathname;

/** A pipeline YAML over ipc endpoints in `dir`, with `rest` appended. */
function pipelineYaml(dir: string, rest: string): string {
  return `endpoints:
  workers: ipc://${dir}/w.sock
  acks: ipc://${dir}/a.sock
  results: ipc://${dir}/r.sock
heartbeat: { intervalMs: 200 }
${rest}`;
}

/** Asserts exit `code`, each pattern on a line of its own on stderr, and no stack trace. */
function assertProblems(
  result: { code: number; stdout: string; stderr: string },
  code: number,
  ...patterns: RegExp[]
) {
  assert.equal(result.code, code, result.stdout + result.stderr);
  // The first problem comes after "zedge: ", the others one per line.
  const lines = result.stderr.trim().split("\n").map((l) => l.replace(/^zedge: /, ""));
  for (const pattern of patterns) {
    assert.ok(lines.some((l) => pattern.test(l)), `${pattern} in:\n${result.stderr}`);
  }
  assert.doesNotMatch(result.stderr, /^\s+at |Uncaught/m, "no stack trace");
}

Deno.test("pipeline: a task type no worker's module exports is refused by check, run and distributor", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/square.ts`, "export const square = (x: number) => x * x;\n");
    await Deno.writeTextFile(
      `${dir}/p.yaml`,
      pipelineYaml(
        dir,
        `tasks:
  square: { count: 3 }
  cube: { count: 3 }
  echo: { count: 1 }
workers:
  - name: cpu
    handlers: ./square.ts
  - name: echo
    handlers: ${fixtures}handlers.ts
    types: [echo]
`,
      ),
    );
    const uncovered = new RegExp(
      `^${dir}/p.yaml:8: tasks.cube: no worker handles task type 'cube', so its items ` +
        `would wait forever: worker 'cpu' \\(./square.ts\\) exports 'square'; worker 'echo' ` +
        `\\(${fixtures}handlers.ts\\) exports .*'echo'.*, takes only 'echo'$`,
    );
    assertProblems(await zedge(["pipeline", "check", "-c", `${dir}/p.yaml`]), 2, uncovered);
    // Refused at start, not left waiting for a worker that cannot come.
    const run = await within(
      zedge(["pipeline", "run", "-c", `${dir}/p.yaml`]),
      "pipeline run to refuse",
      60_000,
    );
    assertProblems(run, 2, uncovered);
    const distributor = await within(
      zedge(["pipeline", "distributor", "-c", `${dir}/p.yaml`]),
      "pipeline distributor to refuse",
      60_000,
    );
    assertProblems(distributor, 2, uncovered);

    // Once a worker exports it, check passes and says who does what.
    await Deno.writeTextFile(
      `${dir}/square.ts`,
      "export const square = (x: number) => x * x;\nexport const cube = (x: number) => x ** 3;\n",
    );
    const ok = await zedge(["pipeline", "check", "-c", `${dir}/p.yaml`]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^ {2}worker cpu: square, cube$/m);
    assert.match(ok.stdout, /^ {2}worker echo: echo$/m);
  });
});

Deno.test("pipeline check: types and services entries their modules lack", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/square.ts`, "export const square = (x: number) => x * x;\n");
    await Deno.writeTextFile(`${dir}/services.ts`, "export const plan = () => [];\n");
    await Deno.writeTextFile(
      `${dir}/p.yaml`,
      pipelineYaml(
        dir,
        `tasks:
  square: { count: 3 }
  cube: { count: 3 }
workers:
  - handlers: ./square.ts
    types: [square, cube]
broker: { frontend: ipc://${dir}/f.sock, backend: ipc://${dir}/b.sock }
services:
  - handlers: ./services.ts
    services: [plan, map]
`,
      ),
    );
    assertProblems(
      await zedge(["pipeline", "check", "-c", `${dir}/p.yaml`]),
      2,
      new RegExp(
        `^${dir}/p.yaml:10: workers\\[0\\].types: ./square.ts exports no function for 'cube' ` +
          `\\(it exports 'square'\\)$`,
      ),
      new RegExp(`^${dir}/p.yaml:8: tasks.cube: no worker handles task type 'cube'`),
      new RegExp(
        `^${dir}/p.yaml:14: services\\[0\\].services: ./services.ts exports no function for 'map'`,
      ),
    );
  });
});

Deno.test("pipeline: a handler module with a syntax error or a top-level throw is one line with its position", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/broken.ts`,
      "export function square(x: number) {\n  return x * ;\n}\n",
    );
    await Deno.writeTextFile(
      `${dir}/throws.ts`,
      "export const a = 1;\nthrow new Error('no GPU');\n",
    );
    const file = `${dir}/p.yaml`;
    await Deno.writeTextFile(
      file,
      pipelineYaml(dir, "tasks:\n  square: { count: 1 }\nworkers:\n  - handlers: ./broken.ts\n"),
    );
    const syntax = new RegExp(
      `^${file}:9: workers\\[0\\].handlers: cannot load ./broken.ts: ` +
        `SyntaxError: Expression expected at ${dir}/broken.ts:2:14$`,
    );
    assertProblems(await zedge(["pipeline", "check", "-c", file]), 2, syntax);
    assertProblems(await zedge(["pipeline", "run", "-c", file]), 2, syntax);
    // The worker role on its own says the same, in one line.
    assertProblems(
      await zedge(["pipeline", "worker", "-c", file]),
      1,
      new RegExp(
        `^cannot load handler module .*broken.ts: SyntaxError: Expression expected at ${dir}/broken.ts:2:14$`,
      ),
    );
    await Deno.writeTextFile(
      file,
      pipelineYaml(dir, "tasks:\n  square: { count: 1 }\nworkers:\n  - handlers: ./throws.ts\n"),
    );
    assertProblems(
      await zedge(["pipeline", "run", "-c", file]),
      2,
      new RegExp(`cannot load ./throws.ts: no GPU \\(at ${dir}/throws.ts:2:7\\)$`),
    );
    // A distributor need not load the workers' modules: a warning, and it serves.
    const distributor = spawn(Deno.execPath(), zedgeArgs("pipeline", "distributor", "-c", file));
    try {
      await distributor.waitFor(/^warning: .*cannot load \.\/throws\.ts: no GPU/m);
      await distributor.waitFor(/^distributor: workers at /m);
    } finally {
      const status = await distributor.stop();
      assert.equal(status.code, 130, distributor.stderr());
    }
  });
});

Deno.test("pipeline check reports every problem of the file at once", async () => {
  await withDir(async (dir) => {
    const file = `${dir}/p.yaml`;
    await Deno.writeTextFile(
      file,
      pipelineYaml(
        dir,
        `ackTimeoutMs: "30s"
tasks:
  a: { count: 1, dependsOn: [a] }
  b: { count: "ten" }
workers:
  - handlers: ./missing.ts
`,
      ),
    );
    const result = await zedge(["pipeline", "check", "-c", file]);
    assertProblems(
      result,
      2,
      new RegExp(`^${file}:6: ackTimeoutMs: `),
      new RegExp(`^${file}:8: tasks.a.dependsOn: task type 'a' depends on itself$`),
      new RegExp(`^${file}:9: tasks.b.count: `),
      new RegExp(`^${file}:11: workers\\[0\\].handlers: file not found: ${dir}/missing.ts$`),
    );
  });
});

Deno.test("pipeline run: Ctrl-C stops the run with exit 130 and one line", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/forever.ts`,
      `export async function hold(): Promise<never> {
  console.log("handler started");
  return await new Promise<never>(() => {});
}
`,
    );
    const file = `${dir}/p.yaml`;
    await Deno.writeTextFile(
      file,
      pipelineYaml(dir, "tasks:\n  hold: { count: 2 }\nworkers:\n  - handlers: ./forever.ts\n"),
    );
    const run = spawn(Deno.execPath(), zedgeArgs("pipeline", "run", "-c", file));
    await run.waitFor(/handler started/);
    run.child.kill("SIGINT");
    const status = await within(run.status, "pipeline run to end on SIGINT", 20_000).catch(
      (error) => {
        run.child.kill("SIGKILL"); // still running: the wait timed out
        throw error;
      },
    );
    assert.equal(status.code, 130, run.stderr());
    assert.match(run.stderr(), /^zedge: interrupted$/m);
    assert.doesNotMatch(run.stderr(), /^\s+at |Uncaught/m);
  });
});
