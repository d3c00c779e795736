/**
 * The per-robot binary. A compiled binary can `import()` only what it
 * embedded (denoland/deno#18327), so a robot's own modules must be compiled
 * in. `stageRobot` lays out exactly what the binary will hold in a staging
 * directory — zedge's code the robot needs, the robot's modules and the
 * local files they import, deno.json for the import map — and writes an
 * entry module with the robot YAML and its pipeline files embedded as
 * text, so the binary needs no file beside it.
 *
 * The same staging is what the tests run with `deno run` and exactly the
 * permission flags the binary would bake in (never `-A`): whatever works
 * there from the stage alone is what the binary relies on.
 *
 * @example
 * ```ts
 * import { loadRobotConfig } from "./config.ts";
 * import { stageRobot } from "./build.ts";
 * const plan = await stageRobot(await loadRobotConfig("examples/robot/robot.yaml"), {
 *   stage: await Deno.makeTempDir(),
 *   binaryName: "kitchen-bot",
 * });
 * console.log(`deno run --config ${plan.denoConfig} ${plan.runFlags.join(" ")} ${plan.entry} run`);
 * ```
 * @module
 */
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath, pathToFileURL as toFileUrl } from "node:url";
import { VERSION } from "../core/version.ts";
import { parseRobotConfig, type RobotConfig, ZEDGE_ROOT } from "./config.ts";
import { componentEntrySource } from "./component_entry.ts";
import { denoModuleFiles } from "./deno_graph.ts";
import { robotProcessFlags } from "./process_permissions.ts";
import { systemdControlEndpoint } from "./systemd.ts";

/**
 * zedge's modules a robot binary starts from: its command line, the
 * component Worker scripts and the pipeline thread (Web Worker scripts are
 * reached by `new URL(…, import.meta.url)`: they must be included).
 *
 * @example
 * ```ts
 * import { ZEDGE_BINARY_ROOTS } from "./build.ts";
 * console.log(ZEDGE_BINARY_ROOTS.length); // 8
 * ```
 */
export const ZEDGE_BINARY_ROOTS: readonly string[] = [
  new URL("../cli/robot_binary.ts", import.meta.url).href,
  new URL("./component_worker.ts", import.meta.url).href,
  new URL("./entry_prelude.ts", import.meta.url).href,
  new URL("./kinds/node_worker.ts", import.meta.url).href,
  new URL("./kinds/task_server_worker.ts", import.meta.url).href,
  new URL("./kinds/pipeline_worker.ts", import.meta.url).href,
  new URL("../core/pipeline/thread_worker.ts", import.meta.url).href,
  new URL("./supervision/host_main.ts", import.meta.url).href,
];

/**
 * What `stageRobot` produced.
 *
 * @example
 * ```ts
 * import type { BuildPlan } from "./build.ts";
 * const describe = (p: BuildPlan) => `${p.files.length} files in ${p.stage}`;
 * ```
 */
export interface BuildPlan {
  /** The robot's name. */
  robot: string;
  /** The staging directory. */
  stage: string;
  /** The generated entry module (in the stage). */
  entry: string;
  /** The deno.json to compile (and run) with: the import map. */
  denoConfig: string;
  /** Every file copied into the stage, as stage paths. */
  files: string[];
  /** Files to pass as `--include`: Web Worker scripts and the robot's modules. */
  includes: string[];
  /** Permission flags for `deno run` of the staged entry (the stage's own paths). */
  runFlags: string[];
  /** Permission flags baked into the binary (its embedded file system's paths). */
  compileFlags: string[];
}

/**
 * Where a compiled binary named `binaryName` finds its embedded files at run
 * time: Deno unpacks its virtual file system under the temp directory, named
 * after the executable (so the binary must keep its name).
 *
 * @example
 * ```ts
 * import { embeddedRoot } from "./build.ts";
 * embeddedRoot("kitchen-bot"); // "/tmp/deno-compile-kitchen-bot"
 * ```
 */
export function embeddedRoot(binaryName: string): string {
  return `/tmp/deno-compile-${binaryName}`;
}

function commonRoot(paths: string[]): string {
  let root = dirname(paths[0]);
  for (const path of paths) {
    while (path !== root && !path.startsWith(root.endsWith(sep) ? root : root + sep)) {
      root = dirname(root);
    }
  }
  return root;
}

/**
 * Stages `config` for a binary (see the module documentation).
 *
 * @example
 * ```ts
 * import { loadRobotConfig } from "./config.ts";
 * import { stageRobot } from "./build.ts";
 * await stageRobot(await loadRobotConfig("robot.yaml"), { stage: "/tmp/stage", binaryName: "robot" });
 * ```
 */
export async function stageRobot(
  config: RobotConfig,
  options: { stage: string; binaryName: string },
): Promise<BuildPlan> {
  const moduleRoots = config.components.flatMap((c) =>
    c.modules.filter((m) => m.startsWith("file:"))
  );
  const denoJson = join(ZEDGE_ROOT, "deno.json");
  // What Deno itself loads from these roots: never a file a string or comment names.
  const code = await denoModuleFiles([...ZEDGE_BINARY_ROOTS, ...moduleRoots], {
    config: denoJson,
  });
  const lock = join(ZEDGE_ROOT, "deno.lock");
  const yaml = fileURLToPath(config.url);
  const embedded = [yaml, ...config.pipelineFiles];
  const root = commonRoot([...code, denoJson, ...embedded]);
  const inStage = (path: string) => join(options.stage, relative(root, path));

  const files: string[] = [];
  for (const path of [...code, denoJson, lock]) {
    const target = inStage(path);
    await Deno.mkdir(dirname(target), { recursive: true });
    try {
      await Deno.copyFile(path, target);
    } catch (error) {
      if (path === lock && error instanceof Deno.errors.NotFound) continue;
      throw error;
    }
    files.push(target);
  }

  const entry = join(options.stage, `${config.robot}.ts`);
  const rel = (path: string) => `./${relative(options.stage, inStage(path))}`;
  const texts: Record<string, string> = {};
  for (const path of embedded) texts[rel(path)] = await Deno.readTextFile(path);
  // Each component's Worker entry (component_entry.ts), staged beside the code it imports.
  const entryFiles: Record<string, string> = {};
  for (const c of config.components) entryFiles[c.name] = `./entries/${c.name}.js`;
  await Deno.writeTextFile(
    entry,
    [
      `// Generated by \`zedge robot build\` (zedge ${VERSION}): the robot ${config.robot},`,
      "// with its YAML and pipeline files embedded, so the binary needs no file beside it.",
      `import { runRobotBinary } from ${
        JSON.stringify(rel(join(ZEDGE_ROOT, "cli/robot_binary.ts")))
      };`,
      "",
      `const embedded = ${
        JSON.stringify(
          { robot: config.robot, config: rel(yaml), files: texts, entries: entryFiles },
          null,
          2,
        )
      };`,
      "",
      "// `--zedge-host SOCKET TOKEN`: this binary as a component's host process (isolation: process).",
      'if (Deno.args[0] === "--zedge-host") {',
      `  const { runComponentHost } = await import(${
        JSON.stringify(rel(join(ZEDGE_ROOT, "robot/supervision/host_main.ts")))
      });`,
      "  await runComponentHost(Deno.args[1], Deno.args[2]);",
      "} else {",
      "  Deno.exit(await runRobotBinary(embedded, import.meta.url, Deno.args));",
      "}",
      "",
    ].join("\n"),
  );
  files.push(entry);

  // The robot as the staged entry will see it: the same YAML, resolved inside the stage.
  const stagedZedge = inStage(ZEDGE_ROOT);
  const staged = parseRobotConfig(texts[rel(yaml)], inStage(yaml), {
    control: config.controlIsDefault ? undefined : config.control,
    readFile: (path) => {
      const text = texts[`./${relative(options.stage, path)}`];
      if (text === undefined) throw new Error(`${path} is not embedded`);
      return text;
    },
    zedgeRoot: stagedZedge,
  });
  for (const spec of staged.components) {
    const file = join(options.stage, "entries", `${spec.name}.js`);
    await Deno.mkdir(dirname(file), { recursive: true });
    await Deno.writeTextFile(
      file,
      componentEntrySource(spec, { relativeTo: toFileUrl(file).href, zedgeRoot: stagedZedge }),
    );
    files.push(file);
  }
  // A binary without a control endpoint in its YAML may be given the systemd one.
  const controls = config.controlIsDefault
    ? [systemdControlEndpoint(config.robot), `ipc:///tmp/zedge-${config.robot}.sock`]
    : [];
  const includes = [
    ...ZEDGE_BINARY_ROOTS.slice(1).map((url) => inStage(fileURLToPath(url))),
    ...moduleRoots.map((url) => inStage(fileURLToPath(url))),
    ...Object.values(entryFiles).map((e) => join(options.stage, e)),
  ];
  return {
    robot: config.robot,
    stage: options.stage,
    entry,
    denoConfig: inStage(denoJson),
    files: files.sort(),
    includes: [...new Set(includes)].sort(),
    // The stage holds exactly what the binary embeds: read it all, as the binary reads its own.
    runFlags: robotProcessFlags(staged, { mode: "source", zedgeRoot: stagedZedge }, controls, [
      options.stage,
    ]),
    compileFlags: robotProcessFlags(
      staged,
      { mode: "binary", vfsRoot: embeddedRoot(options.binaryName) },
      controls,
    ),
  };
}

/**
 * The `deno compile` arguments (before `--output`) for a plan.
 *
 * @example
 * ```ts
 * import { compileArgsFor, type BuildPlan } from "./build.ts";
 * declare const plan: BuildPlan;
 * compileArgsFor(plan); // ["--config", …, "--no-check", "--unstable-worker-options", …, entry]
 * ```
 */
export function compileArgsFor(plan: BuildPlan): string[] {
  return [
    "--config",
    plan.denoConfig,
    "--no-check",
    ...plan.compileFlags,
    ...plan.includes.flatMap((path) => ["--include", path]),
    plan.entry,
  ];
}
