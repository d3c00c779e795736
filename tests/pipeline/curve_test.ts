/**
 * CURVE on the pipeline's endpoints, from the YAML: a whole run over CURVE
 * (distributor, collector and workers in one `zedge pipeline run`), with the
 * workers endpoint restricted to an allow list; a worker whose key is not
 * on it is refused, a NULL one cannot talk at all; and the keys' paths are
 * read relative to the file.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { Authenticator, Dealer, writeCertificatePair } from "../../mod.ts";
import { loadPipelineConfig } from "../../core/pipeline/config.ts";
import { distributorFromConfig, workerFromConfig } from "../../core/pipeline/roles.ts";
import { LogRecorder } from "../core/security_helpers.ts";
import { EventLog, tempDir } from "../core/helpers.ts";

const root = new URL("../../", import.meta.url).pathname;
const fixtures = new URL("./fixtures/", import.meta.url).pathname;

async function zedge(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-worker-options", `${root}cli/main.ts`, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

async function curvePipeline(dir: string, allow: string): Promise<string> {
  await writeCertificatePair(join(dir, "keys", "pipeline"));
  await writeCertificatePair(join(dir, "keys", "worker"));
  await writeCertificatePair(join(dir, "keys", "stranger"));
  await Deno.mkdir(join(dir, "keys", "workers"));
  await Deno.copyFile(join(dir, "keys", "worker.pub"), join(dir, "keys", "workers", "worker.pub"));
  const curve = "curve: { secretKey: keys/pipeline.key }";
  const file = join(dir, "p.yaml");
  await Deno.writeTextFile(
    file,
    `endpoints:
  workers:
    bind: tcp://127.0.0.1:0
    curve: { secretKey: keys/pipeline.key, clientKey: keys/worker.key, allow: [${allow}] }
  acks: { bind: ipc://${dir}/a.sock, ${curve} }
  results: { bind: ipc://${dir}/r.sock, ${curve} }
heartbeat: { intervalMs: 200 }
tasks:
  echo: { count: 20 }
workers:
  - handlers: ${fixtures}handlers.ts
`,
  );
  return file;
}

Deno.test("pipeline curve: a run over CURVE endpoints from the YAML, allow list included", async () => {
  const dir = await tempDir();
  try {
    const file = await curvePipeline(dir, "keys/workers/");
    // A random workers port cannot be run in one process by the CLI's
    // roles (workers must connect to it): use ipc for the CLI run.
    const text = (await Deno.readTextFile(file)).replace(
      "tcp://127.0.0.1:0",
      `ipc://${dir}/w.sock`,
    );
    await Deno.writeTextFile(file, text);
    const run = await zedge("pipeline", "run", "-c", file);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /pipeline finished: 20\/20 done/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pipeline curve: a worker not on the allow list, or speaking NULL, is refused", async () => {
  const dir = await tempDir();
  const logs = await LogRecorder.start();
  try {
    const config = await loadPipelineConfig(await curvePipeline(dir, "keys/workers/"));
    assert.equal(config.endpoints.workers.curve?.secretKey, join(dir, "keys", "pipeline.key"));
    const distributor = await distributorFromConfig(config);
    await distributor.start();
    const workers = distributor.endpoints.workers;
    try {
      // The configured worker key is allowed; a stranger's is not.
      const stranger = {
        ...config,
        endpoints: {
          ...config.endpoints,
          workers: {
            ...config.endpoints.workers,
            connect: workers,
            curve: {
              ...config.endpoints.workers.curve,
              clientKey: join(dir, "keys", "stranger.key"),
            },
          },
        },
      };
      const refused = workerFromConfig(stranger, config.workers[0], { exitOnEnd: false });
      const running = refused.run();
      await logs.waitFor(/auth: refused CURVE client .* is not in the allow list/);
      await refused.close();
      await running.catch(() => {});
      const clear = new Dealer({ linger: 0 });
      const events = new EventLog(clear);
      clear.connect(workers);
      const failure = await events.wait("handshake:error");
      assert.match(failure.reason ?? "", /this socket uses NULL|peer closed/);
      await clear.close();
    } finally {
      await distributor.close();
      await Authenticator.shared().close();
    }
  } finally {
    await logs.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
