import assert from "node:assert/strict";
import { expectRefused } from "./fixtures/helpers.ts";
import { freeTcpPort, loopbackPipelineEndpoints, tempDir, within } from "../core/helpers.ts";

const root = new URL("../../", import.meta.url).pathname;
const fixtures = new URL("./fixtures/", import.meta.url).pathname;

function zedge(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return zedgeWith({}, ...args);
}

async function zedgeWith(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-worker-options", `${root}cli/main.ts`, ...args],
    stdout: "piped",
    stderr: "piped",
    env,
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

Deno.test("cli: pipeline run executes a YAML pipeline in one process, journal included", async () => {
  const dir = await tempDir();
  try {
    const file = `${dir}/p.yaml`;
    await Deno.writeTextFile(
      file,
      `endpoints:
  workers: ipc://${dir}/w.sock
  acks: ipc://${dir}/a.sock
  results: ipc://${dir}/r.sock
journal: ./journal.db
heartbeat: { intervalMs: 200 }
tasks:
  echo: { count: 25 }
  sleep: { items: [{ ms: 1 }, { ms: 2 }], dependsOn: [echo] }
  flaky: { items: [{ failures: 9 }], retries: 1 }
retry: { backoffMs: 10 }
workers:
  - handlers: ${fixtures}handlers.ts
    threads: 2
    replicas: 2
`,
    );
    const first = await zedge("pipeline", "run", "-c", file);
    assert.equal(first.code, 1, first.stderr); // one item fails for good
    assert.match(first.stdout, /pipeline finished: 27\/28 done, 1 failed, 1 retries/);
    assert.match(first.stdout, /failed flaky:0 \(flaky\) after 2 attempts: Error: flaky failure 2/);
    assert.match(first.stderr, /zedge: 1 item\(s\) failed/);
    assert.match(first.stderr, /pipeline: 27\/28 done/); // off a TTY: progress log lines

    // Second run: the journal has the 27 done items; only the failed one is re-issued.
    const second = await zedge("pipeline", "run", "-c", file);
    assert.match(second.stdout, /27\/28 done, 1 failed, 1 retries, 27 already done in the journal/);
    const fresh = await zedge("pipeline", "run", "-c", file, "--reset-journal");
    assert.doesNotMatch(fresh.stdout, /already done/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: a bad file is refused with file:line errors and exit code 2", async () => {
  const dir = await tempDir();
  try {
    const file = `${dir}/bad.yaml`;
    await Deno.writeTextFile(
      file,
      `endpoints:\n  workers: tcp://127.0.0.1:1\ntasks:\n  a: { count: 1, dependsOn: [b] }\n`,
    );
    const result = await zedge("pipeline", "check", "-c", file);
    assert.equal(result.code, 2);
    assert.match(result.stderr, new RegExp(`${file}:1: endpoints.acks: is required`));
    assert.match(result.stderr, new RegExp(`${file}:4: tasks.a.dependsOn: unknown task type 'b'`));
    const missing = await zedge("pipeline", "check", "-c", `${dir}/nope.yaml`);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.yaml: cannot read/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: the shipped example pipeline runs, twice, on ports and a journal from the environment", async () => {
  const dir = await tempDir();
  try {
    // The file as shipped: its ports and journal are defaults the environment overrides.
    const env = {
      WORKERS_PORT: `${freeTcpPort()}`,
      ACKS_PORT: `${freeTcpPort()}`,
      RESULTS_PORT: `${freeTcpPort()}`,
      METADATA_PORT: `${freeTcpPort()}`,
      TILES_JOURNAL: `${dir}/journal.db`,
    };
    const file = `${root}examples/pipeline/pipeline.yaml`;
    const result = await zedgeWith(env, "pipeline", "run", "-c", file);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /collector: render=40 upload=40 \(0 failed\)/);
    assert.match(result.stdout, /pipeline finished: 80\/80 done, 0 failed/);
    assert.doesNotMatch(result.stdout, /earlier run/);
    // A second run finds everything done in the journal, and says so.
    const again = await zedgeWith(env, "pipeline", "run", "-c", file);
    assert.equal(again.code, 0, again.stderr);
    assert.match(
      again.stdout,
      new RegExp(
        `every item was done by an earlier run \\(journal ${dir}/journal.db\\): --reset-journal starts the run over`,
      ),
    );
    const fresh = await zedgeWith(env, "pipeline", "run", "-c", file, "--reset-journal");
    assert.match(fresh.stdout, /collector: render=40 upload=40/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: --max-message-size wins over the file's maxMessageSize for a role", async () => {
  const dir = await tempDir();
  const port = freeTcpPort();
  const file = `${dir}/p.yaml`;
  await Deno.writeTextFile(
    file,
    `endpoints:
  workers: tcp://127.0.0.1:${port}
  acks: ipc://${dir}/a.sock
  results: ipc://${dir}/r.sock
maxMessageSize: 1048576
tasks:
  echo: { count: 1 }
`,
  );
  const bad = await zedge("pipeline", "check", "-c", file, "--max-message-size", "0");
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /'--max-message-size <bytes>' argument '0' is invalid/);
  const distributor = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `${root}cli/main.ts`,
      "pipeline",
      "distributor",
      "-c",
      file,
      "--max-message-size",
      "2048",
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    // 3000 bytes are within the file's limit: only the flag refuses them.
    await expectRefused(`tcp://127.0.0.1:${port}`, 3000, 20_000);
  } finally {
    distributor.kill("SIGKILL");
    await distributor.status;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: pipeline worker leaves after the run, or with --keep-running works the next one too", async () => {
  const dir = await tempDir();
  const workers = `tcp://127.0.0.1:${freeTcpPort()}`;
  const acks = `tcp://127.0.0.1:${freeTcpPort()}`;
  const file = `${dir}/p.yaml`;
  await Deno.writeTextFile(
    file,
    `endpoints:
  workers: ${workers}
  acks: ${acks}
  results: ipc://${dir}/r.sock
heartbeat: { intervalMs: 100 }
tasks:
  echo: { count: 3 }
workers:
  - handlers: ${fixtures}handlers.ts
`,
  );
  const { Collector, Distributor } = await import("../../mod.ts");
  const collector = new Collector({
    results: `ipc://${dir}/r.sock`,
    distributor: acks,
    heartbeatIntervalMs: 100,
    exitOnFinished: false,
  });
  await collector.start();
  const oneRun = async (minWorkers: number) => {
    const distributor = new Distributor({
      workers,
      acks,
      tasks: [{ type: "echo", items: [1, 2, 3] }],
      heartbeatIntervalMs: 100,
      minWorkers,
    });
    try {
      return (await distributor.run()).done;
    } finally {
      await distributor.close();
    }
  };
  const worker = (...extra: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${root}cli/main.ts`, "pipeline", "worker", "-c", file, ...extra],
      stdout: "piped",
      stderr: "null",
    }).spawn();
  const once = worker();
  const staying = worker("--keep-running");
  try {
    // Both take part in the first run (a worker that never heard from a distributor waits).
    assert.equal(await within(oneRun(2), "the first run", 30_000), 3);
    const first = await within(once.output(), "the plain worker to leave", 20_000);
    assert.equal(first.code, 0);
    assert.match(new TextDecoder().decode(first.stdout), /: \d processed, 0 failed/);
    assert.equal(
      await within(oneRun(1), "the second run", 30_000),
      3,
      "the --keep-running worker serves a second run alone",
    );
  } finally {
    try {
      once.kill("SIGKILL"); // only still there when the test failed
    } catch { /* gone, as it should be */ }
    await once.status;
    try {
      staying.kill("SIGTERM");
    } catch { /* already gone */ }
    const last = await staying.output();
    assert.equal(last.code, 0, "SIGTERM ends a --keep-running worker cleanly");
    await collector.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: pipeline check reports every problem at once, missing modules included", async () => {
  const dir = await tempDir();
  try {
    const file = `${dir}/p.yaml`;
    await Deno.writeTextFile(
      file,
      `endpoints: { workers: "tcp://127.0.0.1:1", acks: "tcp://127.0.0.1:2", results: "tcp://127.0.0.1:3" }
ackTimeoutMs: 30s
tasks:
  a: { count: 1, dependsOn: [a] }
workers:
  - handlers: ./missing.ts
`,
    );
    const checked = await zedge("pipeline", "check", "-c", file);
    assert.equal(checked.code, 2, checked.stderr);
    assert.deepEqual(checked.stderr.trim().split("\n"), [
      `zedge: ${file}:2: ackTimeoutMs: must be an integer`,
      `${file}:4: tasks.a.dependsOn: task type 'a' depends on itself`,
      `${file}:6: workers[0].handlers: file not found: ${dir}/missing.ts`,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pipeline worker: a thread stuck in a synchronous loop makes it hand back and exit 3", async () => {
  const dir = await tempDir("zedge-stuck-");
  const file = `${dir}/pipeline.yaml`;
  await Deno.writeTextFile(
    `${dir}/handlers.ts`,
    "export const spin = () => { while (true) {} };\n",
  );
  await Deno.writeTextFile(
    file,
    `${loopbackPipelineEndpoints()}tasks:
  spin: { count: 1, timeoutMs: 300, retries: 0 }
workers:
  - handlers: ./handlers.ts
    threads: 1
`,
  );
  const { loadPipelineConfig, distributorFromConfig, collectorFromConfig } = await import(
    "../../core/pipeline/mod.ts"
  );
  const config = await loadPipelineConfig(file);
  const distributor = await distributorFromConfig(config);
  const collector = await collectorFromConfig(config);
  await distributor.start();
  await collector.start();
  const worker = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${root}cli/main.ts`, "pipeline", "worker", "-c", file, "--keep-running"],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    // A worker that could not start is a failure with its log, not a wait for ever.
    const summary = await within(distributor.run(), "the run with the stuck handler", 30_000)
      .catch(async (error) => {
        worker.kill();
        const out = await worker.output();
        throw new Error(
          `${error.message}; the worker said:\n${new TextDecoder().decode(out.stderr)}`,
        );
      });
    assert.deepEqual(summary.failed.map((f) => f.reason), ["timeout after 300 ms"]);
    // It leaves by itself (a worker kept running would otherwise wait for the next run).
    const out = await within(worker.output(), "the worker to exit", 20_000);
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 3, stderr);
    assert.match(stderr, /thread 0 .*is stuck in a synchronous loop \(timeout after 300 ms\)/);
    assert.match(stderr, /it left, so that the end of its process ends the thread/);
  } finally {
    try {
      worker.kill();
    } catch { /* exited */ }
    await collector.close();
    await distributor.close();
  }
});
