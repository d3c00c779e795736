import assert from "node:assert/strict";
import { parsePipelineConfig, PipelineConfigError } from "../../core/pipeline/config.ts";
import { loadPipelineConfig } from "../../core/pipeline/config.ts";
import { pipelineFileSchema, pipelineJsonSchema } from "../../core/pipeline/schema.ts";
import { tempDir } from "../core/helpers.ts";

const GOOD = `endpoints:
  workers: tcp://*:5570
  acks: tcp://127.0.0.1:5571
  results: { bind: "tcp://0.0.0.0:5572", connect: "tcp://robot1:5572" }
journal: ./state/journal.db
tasks:
  a: { count: 3, timeoutMs: 100, retries: 1 }
  b:
    items: [x, y]
    dependsOn: [a]
  c: { source: ./sources.ts, export: cItems, dependsOn: [a, b], forwardMetadata: true }
workers:
  - handlers: ./handlers.ts
    threads: 4
    types: [a, b]
  - name: io
    handlers: file:///opt/h.ts
`;

Deno.test("config: a valid file resolves endpoints and paths", () => {
  const config = parsePipelineConfig(GOOD, "/etc/zedge/pipeline.yaml");
  assert.deepEqual(config.endpoints.workers, {
    bind: "tcp://*:5570",
    connect: "tcp://127.0.0.1:5570",
  });
  assert.deepEqual(config.endpoints.results, {
    bind: "tcp://0.0.0.0:5572",
    connect: "tcp://robot1:5572",
  });
  assert.equal(config.journal, "/etc/zedge/state/journal.db");
  assert.deepEqual(config.tasks.map((t) => t.type), ["a", "b", "c"]);
  assert.equal(config.tasks[0].count, 3);
  assert.equal(config.tasks[0].retries, 1);
  assert.deepEqual(config.tasks[1].items, ["x", "y"]);
  assert.deepEqual(config.tasks[2].source, {
    module: "file:///etc/zedge/sources.ts",
    export: "cItems",
  });
  assert.equal(config.tasks[2].forwardMetadata, true);
  assert.equal(config.workers[0].handlers, "file:///etc/zedge/handlers.ts");
  assert.equal(config.workers[0].name, "worker-0");
  assert.equal(config.workers[0].threads, 4);
  assert.equal(config.workers[1].name, "io");
  assert.equal(config.heartbeat.timeoutMs, 3000);
});

function problems(text: string): string[] {
  try {
    parsePipelineConfig(text, "p.yaml");
  } catch (error) {
    assert.ok(error instanceof PipelineConfigError);
    return error.problems;
  }
  assert.fail("expected a PipelineConfigError");
}

Deno.test("config: every problem is reported with file and line", () => {
  const found = problems(`endpoints:
  workers: http://nope
  acks: tcp://127.0.0.1:1
tasks:
  a: { count: -1 }
  b: { items: [1], dependsOn: [ghost] }
  c: { count: 1, colour: red }
  d: {}
workers:
  - threads: two
`);
  const expected = [
    /^p\.yaml:1: endpoints\.results: is required$/,
    /^p\.yaml:2: endpoints\.workers: 'http:\/\/nope' is not an endpoint/,
    /^p\.yaml:5: tasks\.a\.count: must be ≥ 0$/,
    /^p\.yaml:6: tasks\.b\.dependsOn: unknown task type 'ghost'$/,
    /^p\.yaml:7: tasks\.c\.colour: unknown field/,
    /^p\.yaml:8: tasks\.d: needs exactly one of 'count', 'items' or 'source'$/,
    /^p\.yaml:10: workers\[0\]\.handlers: is required$/,
    /^p\.yaml:10: workers\[0\]\.threads: must be an integer$/,
  ];
  for (const pattern of expected) {
    assert.ok(found.some((p) => pattern.test(p)), `missing ${pattern} in:\n${found.join("\n")}`);
  }
});

Deno.test("config: cycles point at a task line; YAML syntax errors at theirs", () => {
  const cycle = problems(
    `endpoints: { workers: "tcp://127.0.0.1:1", acks: "tcp://127.0.0.1:2", results: "tcp://127.0.0.1:3" }
tasks:
  a: { count: 1, dependsOn: [b] }
  b: { count: 1, dependsOn: [a] }
`,
  );
  assert.equal(cycle.length, 1);
  assert.match(cycle[0], /^p\.yaml:3: tasks: task dependencies form a cycle: a -> b -> a$/);
  const syntax = problems("tasks:\n  a: { count: 1\n");
  assert.match(syntax[0], /^p\.yaml:\d+: YAML syntax:/);
  assert.match(problems("42")[0], /^p\.yaml:1: \(top level\): must be a mapping$/);
});

Deno.test("config: broker and services sections", () => {
  const config = parsePipelineConfig(
    `broker: { frontend: "tcp://*:5580", backend: "ipc:///tmp/b.sock", services: [plan], maxAttempts: 2 }
services:
  - handlers: ./s.ts
    replicas: 2
    inThread: true
`,
    "/srv/s.yaml",
  );
  assert.equal(config.broker?.frontend.connect, "tcp://127.0.0.1:5580");
  assert.equal(config.broker?.maxAttempts, 2);
  assert.equal(config.services[0].handlers, "file:///srv/s.ts");
  assert.equal(config.services[0].inThread, true);
  assert.match(
    problems("services: [{ handlers: ./s.ts }]")[0],
    /services: need a 'broker' section/,
  );
});

Deno.test("config: the shipped examples are valid", async () => {
  for (const name of ["pipeline.yaml", "services.yaml"]) {
    const path = new URL(`../../examples/pipeline/${name}`, import.meta.url).pathname;
    await loadPipelineConfig(path);
  }
});

Deno.test("config: a late field's problem comes with the others, not after them", () => {
  const found = problems(
    `endpoints: { workers: "tcp://127.0.0.1:1", acks: "tcp://127.0.0.1:2", results: "tcp://127.0.0.1:3" }
ackTimeoutMs: 30s
minWorkers: many
tasks:
  a: { count: -1 }
`,
  );
  assert.deepEqual(found, [
    "p.yaml:2: ackTimeoutMs: must be an integer",
    "p.yaml:3: minWorkers: must be an integer",
    "p.yaml:5: tasks.a.count: must be ≥ 0",
  ]);
});

Deno.test("config: a task that depends on itself is named", () => {
  const found = problems(
    `endpoints: { workers: "tcp://127.0.0.1:1", acks: "tcp://127.0.0.1:2", results: "tcp://127.0.0.1:3" }
tasks:
  a: { count: 1 }
  b: { count: 1, dependsOn: [a, b] }
`,
  );
  assert.deepEqual(found, ["p.yaml:4: tasks.b.dependsOn: task type 'b' depends on itself"]);
});

Deno.test("config: loading a file checks that the modules it names exist", async () => {
  const dir = await tempDir();
  try {
    await Deno.writeTextFile(`${dir}/handlers.ts`, "export const a = (n: number) => n;\n");
    const path = `${dir}/pipeline.yaml`;
    await Deno.writeTextFile(
      path,
      `endpoints: { workers: "tcp://127.0.0.1:1", acks: "tcp://127.0.0.1:2", results: "tcp://127.0.0.1:3" }
metadata: { module: ./metadata.ts }
tasks:
  a: { count: 1 }
  b: { source: ./sources.ts }
workers:
  - handlers: ./handlers.ts
  - handlers: ./missing.ts
collector: { module: "${dir}" }
`,
    );
    const error = await loadPipelineConfig(path).then(() => undefined, (e) => e);
    assert.ok(error instanceof PipelineConfigError, String(error));
    assert.deepEqual(error.problems, [
      `${path}:2: metadata.module: file not found: ${dir}/metadata.ts`,
      `${path}:5: tasks.b.source: file not found: ${dir}/sources.ts`,
      `${path}:8: workers[1].handlers: file not found: ${dir}/missing.ts`,
      `${path}:9: collector.module: ${dir} is not a file`,
    ]);
    // The text alone says nothing about this machine's files.
    parsePipelineConfig(await Deno.readTextFile(path), path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("config: the JSON Schema for editors lists every key, with the defaults", () => {
  const schema = pipelineJsonSchema() as {
    title: string;
    properties: Record<string, { properties?: Record<string, unknown> }>;
  };
  assert.equal(schema.title, "zedge pipeline");
  assert.deepEqual(Object.keys(schema.properties), Object.keys(pipelineFileSchema.shape));
  const text = JSON.stringify(schema);
  assert.match(text, /"retries":\{[^}]*"default":3/);
  assert.match(text, /"required":\["bind"\]/);
});
