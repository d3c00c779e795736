/**
 * The examples a new user runs, run as the README says, on the ports the
 * environment gives them (the shipped defaults are fixed ports): the
 * services example's broker, service worker and `service_client.ts`, which
 * takes its broker from services.yaml; and `${NAME:-default}` references in
 * a pipeline YAML.
 *
 * @module
 */
import assert from "node:assert/strict";
import { parsePipelineConfig, PipelineConfigError } from "../../core/pipeline/config.ts";
import { run, spawn, zedgeArgs } from "../tasks/processes.ts";
import { freeTcpPort } from "../core/helpers.ts";

Deno.test("examples: the services example runs on ports from the environment; the client reads them from its YAML", async () => {
  const env = { BROKER_PORT: `${freeTcpPort()}`, BACKEND_PORT: `${freeTcpPort()}` };
  const file = "examples/pipeline/services.yaml";
  const broker = spawn(Deno.execPath(), zedgeArgs("pipeline", "broker", "-c", file), "piped", env);
  const service = spawn(
    Deno.execPath(),
    zedgeArgs("pipeline", "service", "-c", file),
    "piped",
    env,
  );
  try {
    await broker.waitFor(new RegExp(`broker: clients at tcp://127.0.0.1:${env.BROKER_PORT},`));
    await service.waitFor(/service worker planner: echo, plan via the broker/);
    const client = await run(
      Deno.execPath(),
      ["run", "-A", "examples/pipeline/service_client.ts"],
      "",
      env,
    );
    assert.equal(client.code, 0, client.stderr);
    assert.match(client.stdout, /path: \[/);
    assert.match(client.stdout, /unknown-service: /);
  } finally {
    await Promise.all([broker.stop(), service.stop()]);
  }
});

Deno.test("pipeline YAML: ${NAME} and ${NAME:-default} come from the environment, problems at their line", () => {
  const text = `endpoints:
  workers: tcp://127.0.0.1:\${ZEDGE_TEST_PORT:-5570}
  acks: ipc:///tmp/\${ZEDGE_TEST_DIR}/a.sock
  results: tcp://127.0.0.1:5572
tasks:
  square:
    count: \${ZEDGE_TEST_COUNT:-3}
  literal: { items: ["$\${kept}"] }
`;
  Deno.env.set("ZEDGE_TEST_DIR", "robot");
  Deno.env.delete("ZEDGE_TEST_PORT");
  Deno.env.set("ZEDGE_TEST_COUNT", "7");
  try {
    const config = parsePipelineConfig(text, "/etc/p.yaml");
    assert.equal(config.endpoints.workers.bind, "tcp://127.0.0.1:5570");
    assert.equal(config.endpoints.acks.bind, "ipc:///tmp/robot/a.sock");
    assert.equal(config.tasks[0].count, 7); // a whole-value reference keeps the number's type
    assert.deepEqual(config.tasks[1].items, ["${kept}"]);
    Deno.env.delete("ZEDGE_TEST_DIR");
    assert.throws(
      () => parsePipelineConfig(text, "/etc/p.yaml"),
      (error: unknown) =>
        error instanceof PipelineConfigError &&
        error.message.includes(
          "/etc/p.yaml:3: endpoints.acks: ${ZEDGE_TEST_DIR} is not set (give it a default: ${ZEDGE_TEST_DIR:-value})",
        ),
    );
  } finally {
    for (const name of ["ZEDGE_TEST_DIR", "ZEDGE_TEST_PORT", "ZEDGE_TEST_COUNT"]) {
      Deno.env.delete(name);
    }
  }
});

Deno.test("examples: the remote-task example's remotes and scene script run against a server on other ports", async () => {
  const env = { TASKS_PORT: `${freeTcpPort()}`, EVENTS_PORT: `${freeTcpPort()}` };
  const server = spawn(
    Deno.execPath(),
    zedgeArgs("task-server", "-p", env.TASKS_PORT, "-e", env.EVENTS_PORT),
  );
  try {
    await server.waitFor(new RegExp(`Task Server listening at 'tcp://0.0.0.0:${env.TASKS_PORT}'`));
    const script = await run(
      Deno.execPath(),
      zedgeArgs(
        "run-script",
        "-c",
        "examples/tasks/remotes.yaml",
        "-s",
        "examples/tasks/script.yaml",
        "--yes",
      ),
      "",
      env,
    );
    assert.equal(script.code, 0, script.stdout + script.stderr);
    assert.match(script.stdout, /SCRIPT FINISHED: 2 scene\(s\) run, 5 task\(s\) triggered/);
    assert.match(script.stdout, /hello from the lab/);
  } finally {
    await server.stop();
  }
});
