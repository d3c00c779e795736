/**
 * `.ci/compile.ts` (`deno task compile`): the argument list it hands to
 * `deno compile`, the worker modules it embeds, and its failure messages.
 * A real compile needs a denort base binary, which these machines cannot
 * download; the end-to-end test takes the download away on any machine
 * (a dead proxy, a cache without it) and insists on the exact message.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  compileArgs,
  denortHint,
  ENTRY,
  findWorkerModules,
  isDenortDownloadFailure,
} from "../../.ci/compile.ts";
import { freeTcpPort, tempDir } from "../core/helpers.ts";

const SCRIPT = new URL("../../.ci/compile.ts", import.meta.url).pathname;

Deno.test("compileArgs bakes worker options, permissions (never -A) and one --include per worker", () => {
  assert.deepEqual(
    compileArgs({
      workers: ["core/pipeline/pool_worker.ts", "robot/component_worker.ts"],
      output: "/tmp/out/zedge",
    }),
    [
      "--unstable-worker-options",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--include",
      "core/pipeline/pool_worker.ts",
      "--include",
      "robot/component_worker.ts",
      ENTRY,
    ],
  );
  const none = compileArgs({
    workers: [],
    output: "dist/zedge",
    target: "aarch64-unknown-linux-gnu",
  });
  assert.equal(none.at(-1), "cli/main.ts");
  assert.ok(!none.some((f) => f === "-A" || /^--allow-(all|run|ffi|sys|import)/.test(f)));
});

Deno.test("findWorkerModules finds *_worker.ts under core/pipeline and robot only", async () => {
  const root = await tempDir("zedge-compile-test-");
  try {
    const files = [
      "core/pipeline/pool_worker.ts",
      "core/pipeline/deep/nested/stage_worker.ts",
      "core/pipeline/worker.ts",
      "core/pipeline/pool_worker.ts.bak",
      "robot/component_worker.ts",
      "core/tasks/task_worker.ts",
      "tests/robot/bind_worker.ts",
    ];
    for (const file of files) {
      await Deno.mkdir(`${root}/${file.slice(0, file.lastIndexOf("/"))}`, { recursive: true });
      await Deno.writeTextFile(`${root}/${file}`, "export {};\n");
    }
    assert.deepEqual(await findWorkerModules(root), [
      "core/pipeline/deep/nested/stage_worker.ts",
      "core/pipeline/pool_worker.ts",
      "robot/component_worker.ts",
    ]);
    assert.deepEqual(await findWorkerModules(`${root}/nowhere`), []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a denort download failure is told apart from other compile errors", () => {
  const downloadFailure = [
    "Download https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip",
    "error: Writing deno compile executable to temporary file '/tmp/m.tmp-7d0b2e53db5d1b02'",
    "Caused by:",
    "    0: Setting up base binary.",
    "    1: error sending request for url (…): client error (Connect): dns error",
  ].join("\n");
  assert.equal(isDenortDownloadFailure(downloadFailure), true);
  assert.equal(
    isDenortDownloadFailure("TS2322 [ERROR]: Type 'string' is not assignable to type 'number'."),
    false,
  );
  const hint = denortHint("2.9.6", "x86_64-unknown-linux-gnu");
  assert.doesNotMatch(hint, /\n/);
  assert.match(hint, /DENORT_BIN/);
  assert.match(hint, /denort-x86_64-unknown-linux-gnu\.zip from the Deno v2\.9\.6 release/);
});

async function runCompile(
  env: Record<string, string>,
  args: string[],
): Promise<{ code: number; stderr: string }> {
  const clean: Record<string, string> = { ...Deno.env.toObject(), NO_COLOR: "1", ...env };
  if (!("DENORT_BIN" in env)) delete clean.DENORT_BIN;
  const result = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SCRIPT, ...args],
    env: clean,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: result.code, stderr: new TextDecoder().decode(result.stderr) };
}

Deno.test("compile: bad flags and a DENORT_BIN that is not a file fail with one line", async () => {
  const flags = await runCompile({}, ["--bogus"]);
  assert.equal(flags.code, 2);
  assert.match(flags.stderr, /compile: .*bogus/);
  const missing = await runCompile({ DENORT_BIN: "/nonexistent/denort" }, []);
  assert.equal(missing.code, 1);
  assert.equal(
    missing.stderr.trim(),
    "compile: DENORT_BIN=/nonexistent/denort is not a file; point it at a denort binary",
  );
});

/**
 * An environment in which `deno compile` cannot get denort whatever the
 * machine: every download goes through a proxy nobody listens on, and the
 * Deno cache is the real one (npm packages and modules, no network needed)
 * minus `dl/`, where a denort downloaded earlier would be.
 */
async function withoutDenort(dir: string): Promise<Record<string, string>> {
  const info = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).output();
  const real = JSON.parse(new TextDecoder().decode(info.stdout)).denoDir as string;
  const cache = `${dir}/deno-dir`;
  await Deno.mkdir(cache);
  for await (const entry of Deno.readDir(real)) {
    if (entry.name !== "dl") await Deno.symlink(`${real}/${entry.name}`, `${cache}/${entry.name}`);
  }
  // Nothing listens there: every connection to the proxy is refused.
  const proxy = `http://127.0.0.1:${freeTcpPort()}`;
  return { DENO_DIR: cache, HTTPS_PROXY: proxy, HTTP_PROXY: proxy, ALL_PROXY: proxy, NO_PROXY: "" };
}

Deno.test("compile: without DENORT_BIN and no way to download denort it says how to in one line", async () => {
  const dir = await tempDir("zedge-compile-test-");
  try {
    const output = `${dir}/dist/zedge`;
    const { code, stderr } = await runCompile(await withoutDenort(dir), ["--output", output]);
    assert.equal(code, 1, stderr);
    const lines = stderr.trim().split("\n");
    assert.equal(
      lines.at(-1),
      `compile: ${denortHint(Deno.version.deno, Deno.build.target)}`,
      stderr,
    );
    // Only our own command echo precedes it: deno's long error is replaced, not repeated.
    assert.equal(lines.length, 2, stderr);
    // And nothing is left where the binary would have gone.
    assert.equal(await Deno.stat(`${dir}/dist`).then(() => true, () => false), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("compile: a full deno as DENORT_BIN is refused before compiling, leaving no output", async () => {
  const dir = await tempDir("zedge-compile-test-");
  try {
    // The deno CLI itself is a valid base binary for deno compile, but the
    // result runs deno, not zedge.
    const { code, stderr } = await runCompile({ DENORT_BIN: Deno.execPath() }, [
      "--output",
      `${dir}/dist/zedge`,
    ]);
    assert.equal(code, 1, stderr);
    assert.match(
      stderr.trim().split("\n").at(-1)!,
      /^compile: DENORT_BIN=.* is a full deno, not denort: a binary built on it would be plain deno/,
    );
    assert.equal(await Deno.stat(`${dir}/dist`).then(() => true, () => false), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
