/**
 * The example robot (examples/robot) as the status tests run it: the same
 * YAML and pipeline files written into a temp directory, every fixed port
 * swapped for a free loopback port, modules reached at their place in
 * examples/robot, and whatever keys and components a test adds.
 *
 * @module
 */
import { join } from "node:path";
import { freeTcpPort, repoPath } from "./helpers.ts";
import { tempDir } from "../core/helpers.ts";

/** The example's fixed ports (robot.yaml, pipeline.yaml, services.yaml). */
const EXAMPLE_PORTS = [7779, 7780, 7800, 7801, 7810, 7811, 7812, 7820, 7821, 8765];

/** The example robot in a temp dir, on free ports. */
export interface ExampleRobot {
  /** The directory holding robot.yaml and the pipeline files. */
  dir: string;
  /** Its robot.yaml. */
  file: string;
  /** Each example port's replacement. */
  ports: Map<number, number>;
  /** The task server's (example port 7779) endpoint, on 127.0.0.1. */
  tasks: string;
}

/**
 * Writes the example robot with `top` (robot keys, one a line) added before
 * `components:` and `components` (indented YAML) added after the example's.
 */
export async function exampleRobot(top = "", components = ""): Promise<ExampleRobot> {
  const example = repoPath("examples/robot");
  const dir = await tempDir("zedge-example-");
  const ports = new Map(EXAMPLE_PORTS.map((p) => [p, freeTcpPort()]));
  const swapPorts = (text: string) =>
    text.replace(/:(78\d\d|7779|7780|8765)\b/g, (whole, port) => {
      const swapped = ports.get(Number(port));
      return swapped === undefined ? whole : `:${swapped}`;
    });
  let robot = swapPorts(await Deno.readTextFile(join(example, "robot.yaml")))
    .replaceAll("./nodes/", `${example}/nodes/`)
    .replaceAll("./handlers/", `${example}/handlers/`);
  // A test's own status or foxglove replaces the example's.
  for (const key of ["status", "foxglove"]) {
    if (new RegExp(`^${key}:`, "m").test(top)) {
      robot = robot.replace(new RegExp(`^${key}: .*\n`, "m"), "");
    }
  }
  robot = robot.replace(/^components:\n/m, `${top}components:\n`) + components;
  await Deno.writeTextFile(join(dir, "robot.yaml"), robot);
  for (const name of ["pipeline.yaml", "services.yaml"]) {
    const text = swapPorts(await Deno.readTextFile(join(example, name)))
      .replaceAll("./", `${example}/`);
    await Deno.writeTextFile(join(dir, name), text);
  }
  return {
    dir,
    file: join(dir, "robot.yaml"),
    ports,
    tasks: `tcp://127.0.0.1:${ports.get(7779)}`,
  };
}
