import assert from "node:assert/strict";
import {
  ExecutorController,
  type TaskController,
  TaskRejection,
} from "../../core/tasks/controller.ts";
import { TaskExecutor, type TaskStateChange } from "../../core/tasks/executor.ts";
import { HandlerController, validateHandlerMap } from "../../core/tasks/handlers.ts";
import { encodeTask, TaskState } from "../../core/tasks/protocol.ts";
import { TestController } from "../../core/tasks/test_controller.ts";
import { waitFor } from "../pipeline/fixtures/helpers.ts";

const spec = { handler: "h", component: "c", goal: "g" };

/** Resolves once `predicate` holds for a change seen by `executor`. */
function until(
  executor: TaskExecutor,
  predicate: (change: TaskStateChange) => boolean,
): Promise<TaskStateChange> {
  return new Promise((resolve) => {
    const off = executor.onStateChange((change) => {
      if (predicate(change)) {
        off();
        resolve(change);
      }
    });
  });
}

Deno.test("executor: INITIATED → ACCEPTED → COMPLETED with the result as text", async () => {
  const executor = new TaskExecutor();
  const seen: TaskStateChange[] = [];
  executor.onStateChange((change) => seen.push(change));
  const id = executor.start(spec, ({ goal }) => ({ echoed: goal }));
  assert.equal(executor.status(id)?.state, TaskState.INITIATED);
  await until(executor, (c) => c.id === id && c.state === TaskState.COMPLETED);
  assert.deepEqual(seen.map((c) => c.state), [
    TaskState.INITIATED,
    TaskState.ACCEPTED,
    TaskState.COMPLETED,
  ]);
  assert.equal(executor.status(id)?.payload, '{"echoed":"g"}');
  await executor.close();
});

Deno.test("executor: a throwing task is FAILED with its message; progress shows while running", async () => {
  const executor = new TaskExecutor();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  const id = executor.start(spec, async ({ progress }) => {
    progress("half way");
    await gate;
    throw new Error("arm jammed");
  });
  await until(executor, (c) => c.id === id && c.state === TaskState.ACCEPTED);
  await Promise.resolve();
  assert.deepEqual(
    [executor.status(id)?.state, executor.status(id)?.payload],
    [TaskState.ACCEPTED, "half way"],
  );
  release();
  await until(executor, (c) => c.id === id && c.state === TaskState.FAILED);
  assert.equal(executor.status(id)?.payload, "arm jammed");
  await executor.close();
});

Deno.test("executor: abort really stops work that honours the signal", async () => {
  const executor = new TaskExecutor();
  let stoppedByAbort = false;
  const id = executor.start(spec, ({ signal }) =>
    new Promise((_, reject) => {
      signal.addEventListener("abort", () => {
        stoppedByAbort = true;
        reject(signal.reason);
      });
    }));
  await until(executor, (c) => c.id === id && c.state === TaskState.ACCEPTED);
  const after = await executor.abort(id);
  assert.equal(after?.state, TaskState.ABORTED);
  assert.ok(stoppedByAbort);
  assert.equal(executor.running, 0);
  await executor.close();
});

Deno.test("executor: work that ignores the signal is reported honestly", async () => {
  const executor = new TaskExecutor({ abortWaitMs: 20 });
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  const id = executor.start(spec, async () => {
    await gate;
    return "finished anyway";
  });
  await until(executor, (c) => c.id === id && c.state === TaskState.ACCEPTED);
  const after = await executor.abort(id);
  assert.equal(after?.state, TaskState.ACCEPTED);
  assert.match(after!.payload, /has not stopped yet/);
  release();
  await until(executor, (c) => c.id === id && c.state === TaskState.COMPLETED);
  // Aborting a finished task changes nothing.
  assert.equal((await executor.abort(id))?.state, TaskState.COMPLETED);
  await executor.close();
});

Deno.test("executor: a task aborted before it starts never runs", async () => {
  const executor = new TaskExecutor();
  let ran = false;
  const id = executor.start(spec, () => ran = true);
  const after = await executor.abort(id); // same tick: still INITIATED
  assert.equal(after?.state, TaskState.ABORTED);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(ran, false);
  assert.equal(executor.status(id)?.state, TaskState.ABORTED);
  await executor.close();
});

Deno.test("executor: finished tasks are kept for a bounded count and time", async () => {
  const executor = new TaskExecutor({ maxFinished: 3, retentionMs: 60_000 });
  const ids: number[] = [];
  for (let i = 0; i < 5; i++) {
    const id = executor.start(spec, () => i);
    ids.push(id);
    await until(executor, (c) => c.id === id && c.state === TaskState.COMPLETED);
  }
  assert.equal(executor.size, 3);
  assert.equal(executor.status(ids[0]), undefined);
  assert.equal(executor.status(ids[1]), undefined);
  assert.equal(executor.status(ids[4])?.payload, "4");
  await executor.close();

  const shortLived = new TaskExecutor({ retentionMs: 10 });
  const id = shortLived.start(spec, () => "x");
  await until(shortLived, (c) => c.id === id && c.state === TaskState.COMPLETED);
  await waitFor(() => shortLived.status(id) === undefined, "the finished task to expire", 2000);
  await shortLived.close();
});

Deno.test("executor: maxRunning bounds concurrent tasks; close aborts running ones", async () => {
  const executor = new TaskExecutor({ maxRunning: 2 });
  const forever = ({ signal }: { signal: AbortSignal }) =>
    new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
  const a = executor.start(spec, forever);
  executor.start(spec, forever);
  assert.throws(() => executor.start(spec, forever), /too many running tasks/);
  await executor.close();
  assert.equal(executor.status(a)?.state, TaskState.ABORTED);
  assert.throws(() => executor.start(spec, forever), /closed/);
});

/** The smallest ExecutorController: handler `test`, component `echo`. */
class EchoController extends ExecutorController {
  assign(handler: string, component: string, goal: string) {
    if (handler !== "test") throw new Error(`No such handler '${handler}', try 'test'.`);
    if (component !== "echo") throw new Error(`No such component '${component}', try 'echo'.`);
    return () => goal;
  }
}

Deno.test("controller: rejects undecodable payloads and unknown handlers, Invalid ID for unknown ids", async () => {
  const controller: TaskController = new EchoController();
  assert.deepEqual(await controller.init("%%%"), {
    id: -1,
    payload: "Invalid task request: task payload is not base64 of UTF-8 text",
  });
  assert.deepEqual(await controller.init(encodeTask("nope", "echo", "x")), {
    id: -1,
    payload: "No such handler 'nope', try 'test'.",
  });
  const noComponent = await controller.init(encodeTask("test", "dance", "x"));
  assert.equal(noComponent.id, -1);
  assert.match(noComponent.payload, /try 'echo'/);
  assert.deepEqual(await controller.status(42, ""), {
    state: TaskState.REJECTED,
    payload: "Invalid ID '42'",
  });
  assert.deepEqual(await controller.abort(42, ""), {
    state: TaskState.REJECTED,
    payload: "Invalid ID '42'",
  });
  await controller.close?.();
});

Deno.test("test controller: ZTL's example answers — an unknown handler throws, an unknown component or a bad sleep fails", async () => {
  const controller = new TestController();
  await assert.rejects(controller.init(encodeTask("nope", "echo", "x")), /No such handler 'nope'/);
  await assert.rejects(controller.init("%%%"), /not base64/);
  for (
    const [component, goal, reason] of [
      ["dance", "x", /No such component 'dance', try 'echo\/print\/sleep'\./],
      ["sleep", "soon", /must be a number of seconds/],
    ] as const
  ) {
    const { id } = await controller.init(encodeTask("test", component, goal));
    assert.ok(id > 0);
    await waitFor(() => controller.status(id, "").state === TaskState.FAILED, "the task to fail");
    assert.match(controller.status(id, "").payload, reason);
  }
  await controller.close();
});

Deno.test("test controller: echo, print and an aborted sleep", async () => {
  const printed: string[] = [];
  const controller = new TestController({ print: (text) => printed.push(text) });
  const done = (id: number) =>
    new Promise<void>((resolve) => {
      const off = controller.onStateChange((c) => {
        if (c.id === id && c.state > TaskState.ACCEPTED) {
          off();
          resolve();
        }
      });
    });

  const echo = await controller.init(encodeTask("test", "echo", "hello; world"));
  assert.match(echo.payload, /^Initiated task '\d+' with request: /);
  await done(echo.id);
  assert.deepEqual(controller.status(echo.id, ""), {
    state: TaskState.COMPLETED,
    payload: "hello; world",
  });

  const print = await controller.init(encodeTask("test", "print", "say this"));
  await done(print.id);
  assert.deepEqual(controller.status(print.id, ""), {
    state: TaskState.COMPLETED,
    payload: "True",
  });
  assert.deepEqual(printed, ["say this"]);

  const sleep = await controller.init(encodeTask("test", "sleep", "30"));
  await waitFor(
    () => controller.status(sleep.id, "").payload === "sleeping for 30 s",
    "the sleep to report its progress",
  );
  assert.deepEqual(controller.status(sleep.id, ""), {
    state: TaskState.ACCEPTED,
    payload: "sleeping for 30 s",
  });
  assert.deepEqual(await controller.abort(sleep.id, "stop"), {
    state: TaskState.ABORTED,
    payload: "True",
  });
  assert.deepEqual(await controller.abort(sleep.id, "stop"), {
    state: TaskState.ABORTED,
    payload: "False",
  });
  await controller.close();
});

Deno.test("handler maps: validated with the source named, run with the goal", async () => {
  assert.throws(() => validateHandlerMap(null, "mine.ts"), /mine.ts: handlers must be an object/);
  assert.throws(() => validateHandlerMap({ h: { c: 1 } }, "mine.ts"), /'h.c' must be a function/);
  assert.throws(
    () => validateHandlerMap({ "a:b": { c: () => 1 } }, "mine.ts"),
    /handler name 'a:b'/,
  );
  assert.throws(() => validateHandlerMap({ h: {} }, "mine.ts"), /has no components/);
  const controller = new HandlerController({
    handlers: {
      math: {
        double: (goal) => 2 * Number(goal),
        refuse: () => {
          throw new TaskRejection("never");
        },
      },
    },
  });
  const { id } = await controller.init(encodeTask("math", "double", "21"));
  await new Promise<void>((resolve) => {
    const off = controller.onStateChange((c) => {
      if (c.id === id && c.state === TaskState.COMPLETED) {
        off();
        resolve();
      }
    });
  });
  assert.equal(controller.status(id, "").payload, "42");
  const missing = await controller.init(encodeTask("math", "halve", "1"));
  assert.deepEqual(missing, {
    id: -1,
    payload: "No such component 'halve' for handler 'math', try 'double', 'refuse'.",
  });
  await controller.close();
});
