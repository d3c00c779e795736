/**
 * Every error class in core/, robot/ and cli/ has `ZedgeError` under it and
 * a non-empty `code`: the classes are found in the source (any exported
 * class whose prototype chain reaches `Error`), so a new one written as
 * `extends Error` fails here, as does one this test cannot construct.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { ZedgeError } from "../../mod.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** Constructor arguments for the classes that do not take `(message)`; the rest get one string. */
const ARGUMENTS: Record<string, unknown[]> = {
  ZmqError: ["EAGAIN", "timed out"],
  ZmtpError: ["bad-signature", "first byte was 0x47"],
  ServiceError: ["unavailable", "no worker"],
  ProtocolError: ["state", "not a number"],
  ConfigFileError: [["robot.yaml:1: robot: is required"]],
  PipelineConfigError: [["pipeline.yaml:1: tasks: is required"]],
  ConfigError: ["remotes.yaml", 3, "remotes.arm.port: is required"],
  ExecutorFullError: [10],
  ScriptInputEnded: ["scene 'pick'", {
    scenesRun: 0,
    tasksTriggered: 0,
    completed: 0,
    failed: 0,
    background: 0,
  }],
  ScriptInterrupted: [],
  PickleRefusedError: [],
  TaskNetworkError: ["tcp://robot:7779", "no reply"],
  TaskRejectedError: [6, -1, "busy"],
  TaskWaitTimeoutError: [3, 1, "running", 2000],
  SocketManagerError: ["jobs", "failed"],
  SocketAlreadyExists: ["jobs", "taken"],
  SocketNotFound: ["jobs", "no such socket"],
  SocketBindError: ["jobs", "tcp://*:1", "in use"],
  SocketConnectError: ["jobs", "tcp://x:1", "refused"],
  SocketDecodeError: ["jobs", "not msgpack"],
  EndpointError: ["udp://x", "unknown transport"],
  ControlUnreachableError: ["ipc:///tmp/x", "no reply"],
  StatusPageError: ["127.0.0.1:7800", new Error("Address already in use")],
};

/** Source files that declare an exported class extending something. */
async function* declaringFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* declaringFiles(path);
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) {
      if (/export (abstract )?class \w+ extends \w+/.test(await Deno.readTextFile(path))) {
        yield path;
      }
    }
  }
}

/** Every exported class whose prototype chain reaches Error, with the file declaring it. */
async function errorClasses(): Promise<[string, string, new (...args: unknown[]) => Error][]> {
  const found: [string, string, new (...args: unknown[]) => Error][] = [];
  for (const top of ["core", "robot", "cli"]) {
    for await (const path of declaringFiles(join(ROOT, top))) {
      const source = await Deno.readTextFile(path);
      const names = [...source.matchAll(/export (?:abstract )?class (\w+) extends \w+/g)].map((m) =>
        m[1]
      );
      const candidates = names.filter((n) =>
        /Error|Rejection|Interrupted|Ended|Exists|NotFound/.test(n)
      );
      if (candidates.length === 0) continue;
      const module = await import(pathToFileURL(path).href);
      for (const name of candidates) {
        const value = module[name];
        if (typeof value === "function" && value.prototype instanceof Error) {
          found.push([name, relative(ROOT, path), value]);
        }
      }
    }
  }
  return found;
}

Deno.test("every error class has ZedgeError under it and a code", async () => {
  const classes = await errorClasses();
  // 32 classes when the surface was split; fewer means the scan lost some.
  assert.ok(classes.length >= 32, `found only ${classes.map(([n]) => n).join(", ")}`);
  for (const [name, file, ErrorClass] of classes) {
    if (name === "ZedgeError") continue;
    assert.ok(
      ErrorClass.prototype instanceof ZedgeError,
      `${file}: ${name} does not extend ZedgeError`,
    );
    const error = new ErrorClass(...(ARGUMENTS[name] ?? ["what went wrong"])) as ZedgeError;
    assert.ok(error instanceof ZedgeError && error instanceof Error, name);
    assert.equal(typeof error.code, "string", `${name}.code`);
    assert.match(error.code, /^([a-z]+(-[a-z]+)*|E[A-Z]+)$/, `${name}.code '${error.code}'`);
    assert.equal(error.name, name, `${name}.name`);
    assert.ok(error.message.length > 0, `${name}.message`);
  }
});

Deno.test("a class's fixed code is its own, not its base's", async () => {
  const fixed = new Map<string, string>();
  for (const [name, , ErrorClass] of await errorClasses()) {
    // ZedgeError is the base; these three take their code as an argument.
    if (["ZedgeError", "ZmqError", "ZmtpError", "ServiceError"].includes(name)) continue;
    const error = new ErrorClass(...(ARGUMENTS[name] ?? ["what went wrong"])) as ZedgeError;
    const other = [...fixed].find(([, code]) => code === error.code);
    assert.equal(other, undefined, `${name} and ${other?.[0]} share the code '${error.code}'`);
    fixed.set(name, error.code);
  }
});

Deno.test("an application's own error class needs only its code to be a ZedgeError", () => {
  const error = new (class extends ZedgeError {
    readonly code = "lidar";
  })("no scan");
  assert.equal(error.code, "lidar");
  assert.ok(error instanceof ZedgeError);
});
