/**
 * The long-lived pipeline roles say where they serve when they start
 * (broker, service worker, collector, metadata provider, distributor);
 * `zedge pipeline call SERVICE JSON` calls a service from the shell and
 * prints the reply, or the error with its code; the YAML's `logging`
 * section sets levels per category and writes a log file.
 *
 * @module
 */
import assert from "node:assert/strict";
import { spawn, zedge, zedgeArgs } from "../tasks/processes.ts";
import { withDir } from "./fixtures/helpers.ts";

const SERVICES = `export function plan(request: { from: number[]; to: number[] }) {
  return { path: [request.from, request.to] };
}
export function fail(): never {
  throw new Error("the map is missing");
}
`;

Deno.test("pipeline call: the reply as JSON, or the error and its code; broker and service worker say where they serve", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/services.ts`, SERVICES);
    const file = `${dir}/services.yaml`;
    await Deno.writeTextFile(
      file,
      `heartbeat: { intervalMs: 200 }
broker: { frontend: ipc://${dir}/front.sock, backend: ipc://${dir}/back.sock }
services:
  - name: planner
    handlers: ./services.ts
`,
    );
    const broker = spawn(Deno.execPath(), zedgeArgs("pipeline", "broker", "-c", file));
    const service = spawn(Deno.execPath(), zedgeArgs("pipeline", "service", "-c", file));
    try {
      await broker.waitFor(
        new RegExp(
          `^broker: clients at ipc://${dir}/front.sock, service workers at ipc://${dir}/back.sock`,
          "m",
        ),
      );
      await service.waitFor(
        new RegExp(
          `^service worker planner: fail, plan via the broker at ipc://${dir}/back.sock`,
          "m",
        ),
      );
      const reply = await zedge([
        "pipeline",
        "call",
        "plan",
        '{"from": [0, 0], "to": [4, 2]}',
        "-c",
        file,
      ]);
      assert.equal(reply.code, 0, reply.stderr);
      assert.deepEqual(JSON.parse(reply.stdout), { path: [[0, 0], [4, 2]] });

      const compact = await zedge(
        ["pipeline", "call", "plan", "-", "--broker", `ipc://${dir}/front.sock`, "--compact"],
        '{"from": [1, 1], "to": [2, 2]}',
      );
      assert.equal(compact.code, 0, compact.stderr);
      assert.equal(compact.stdout, '{"path":[[1,1],[2,2]]}\n');

      const unknown = await zedge(["pipeline", "call", "nope", "{}", "-c", file]);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /^zedge: service 'nope' failed: unknown-service: /m);
      const failed = await zedge(["pipeline", "call", "fail", "null", "-c", file]);
      assert.equal(failed.code, 1);
      assert.match(
        failed.stderr,
        /^zedge: service 'fail' failed: handler-error: Error: the map is missing$/m,
      );
      const badJson = await zedge(["pipeline", "call", "plan", "{from: 1}", "-c", file]);
      assert.equal(badJson.code, 2);
      assert.match(badJson.stderr, /^zedge: JSON: /m);
      const nowhere = await zedge(["pipeline", "call", "plan", "{}"]);
      assert.equal(nowhere.code, 2);
      assert.match(nowhere.stderr, /-c FILE .* or --broker ENDPOINT/);
    } finally {
      // Stopped by SIGTERM once they said they serve: a clean exit.
      const [b, s] = await Promise.all([broker.stop(), service.stop()]);
      assert.deepEqual([b.code, s.code], [0, 0], broker.stderr() + service.stderr());
    }
    // Nobody at the broker's address: a timeout that says why.
    const down = await zedge([
      "pipeline",
      "call",
      "plan",
      "{}",
      "-c",
      file,
      "--timeout",
      "200",
      "--retries",
      "0",
    ]);
    assert.equal(down.code, 1);
    assert.match(
      down.stderr,
      /failed: timeout: service 'plan': no reply after 1 attempts of 200 ms \(cannot connect to the broker at ipc:.*front\.sock: /,
    );
  });
});

Deno.test("pipeline collector, metadata and distributor print a startup line", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/meta.ts`, "export const getMetadata = () => ({ zoom: 3 });\n");
    const file = `${dir}/p.yaml`;
    await Deno.writeTextFile(
      file,
      `endpoints:
  workers: ipc://${dir}/w.sock
  acks: ipc://${dir}/a.sock
  results: ipc://${dir}/r.sock
  metadata: ipc://${dir}/m.sock
metadata: { module: ./meta.ts }
tasks:
  square: { count: 1 }
`,
    );
    const roles = [
      [
        "collector",
        `^collector: results at ipc://${dir}/r.sock, ACKs to the distributor at ipc://${dir}/a.sock`,
      ],
      ["metadata", `^metadata provider: serving ${dir}/meta.ts at ipc://${dir}/m.sock`],
      ["distributor", `^distributor: workers at ipc://${dir}/w.sock, the collector at ipc://`],
    ];
    for (const [role, line] of roles) {
      const running = spawn(Deno.execPath(), zedgeArgs("pipeline", role, "-c", file));
      try {
        await running.waitFor(new RegExp(line, "m"));
      } finally {
        await running.stop();
      }
    }
  });
});

Deno.test("pipeline logging: levels per category, a handler's own category and a log file", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/handlers.ts`,
      `import { getLogger } from "@logtape/logtape";
export function square(x: number) {
  getLogger(["tiles"]).info("squared {x}", { x });
  return x * x;
}
`,
    );
    const file = `${dir}/p.yaml`;
    await Deno.writeTextFile(
      file,
      `endpoints:
  workers: ipc://${dir}/w.sock
  acks: ipc://${dir}/a.sock
  results: ipc://${dir}/r.sock
tasks:
  square: { count: 2 }
workers:
  - handlers: ./handlers.ts
logging:
  level: error
  categories:
    zedge.pipeline.distributor: info
    tiles: info
  file: ./run.log
`,
    );
    const result = await zedge(["pipeline", "run", "-c", file]);
    assert.equal(result.code, 0, result.stderr);
    const log = await Deno.readTextFile(`${dir}/run.log`);
    const stamp = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";
    assert.match(
      log,
      new RegExp(
        `^${stamp} info zedge\\.pipeline\\.distributor: distributor serving workers at ipc://`,
        "m",
      ),
    );
    assert.match(log, new RegExp(`^${stamp} info tiles: squared 1$`, "m"));
    assert.match(result.stderr, /^info: pipeline\.distributor: all items settled/m);
    // Categories left at the file's level (error) say nothing at info.
    assert.doesNotMatch(log, / zedge\.pipeline\.(worker|collector): /);

    // A level that is not one: the file's line.
    await Deno.writeTextFile(
      file,
      (await Deno.readTextFile(file)).replace("level: error", "level: loud"),
    );
    const bad = await zedge(["pipeline", "check", "-c", file]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, new RegExp(`${file}:10: logging.level: must be one of trace, debug`));
  });
});
