/**
 * The log record's wire format: topic `<robot>.<component>.<level>`, a JSON
 * body any language reads, values JSON cannot hold made to fit, and a
 * reader that says what is wrong with a message that is not a record.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  decodeLogMessage,
  encodeLogMessage,
  formLogRecord,
  isAtLeast,
  LogMessageError,
  logTopic,
  type PublishedLogRecord,
  renderLogMessage,
} from "../../mod.ts";

const utf8 = new TextEncoder();

const RECORD: PublishedLogRecord = {
  time: 1764590400123,
  level: "warning",
  category: ["kitchen-bot", "planner"],
  message: "no path to the dock",
  properties: { goal: [4, 2], attempts: 3 },
  robot: "kitchen-bot",
  component: "planner",
};

function frames([topic, body]: [string, Uint8Array]): Uint8Array[] {
  return [utf8.encode(topic), body];
}

Deno.test("log wire: topic robot.component.level and a JSON body with every field", () => {
  const [topic, body] = encodeLogMessage(RECORD);
  assert.equal(topic, "kitchen-bot.planner.warning");
  assert.equal(logTopic("r", "c", "fatal"), "r.c.fatal");
  assert.deepEqual(JSON.parse(new TextDecoder().decode(body)), RECORD);
  assert.deepEqual(decodeLogMessage(frames([topic, body])), RECORD);
});

Deno.test("log wire: properties JSON cannot hold are made to fit, never thrown", () => {
  const circular: Record<string, unknown> = { name: "loop" };
  circular.self = circular;
  const properties = {
    big: 2n ** 70n,
    error: new RangeError("too far"),
    map: new Map([["a", 1]]),
    set: new Set([1, 2]),
    bytes: new Uint8Array(5),
    when: new Date(0),
    circular,
    fn: () => 1,
  };
  const [, body] = encodeLogMessage({ ...RECORD, properties });
  const decoded = decodeLogMessage([utf8.encode("t"), body]);
  assert.deepEqual(decoded.properties, {
    big: "1180591620717411303424",
    error: { name: "RangeError", message: "too far" },
    map: { a: 1 },
    set: [1, 2],
    bytes: "[Uint8Array of 5 bytes]",
    when: "1970-01-01T00:00:00.000Z",
    circular: { name: "loop", self: "[Circular]" },
    fn: "[function fn]",
  });
});

Deno.test("log wire: a message that is not a record is refused, saying why", () => {
  const body = (value: unknown) => [utf8.encode("t"), utf8.encode(JSON.stringify(value))];
  const cases: [Uint8Array[], RegExp][] = [
    [[utf8.encode("t")], /expected 2 frames/],
    [[utf8.encode("t"), utf8.encode("{oops")], /not UTF-8 JSON/],
    [[utf8.encode("t"), new Uint8Array([0xff, 0xfe])], /not UTF-8 JSON/],
    [body([1, 2]), /not a JSON object/],
    [body({ ...RECORD, time: "noon" }), /'time'/],
    [body({ ...RECORD, level: "warn" }), /'level' is not one of trace, debug/],
    [body({ ...RECORD, category: "a.b" }), /'category'/],
    [body({ ...RECORD, message: 7 }), /'message'/],
    [body({ ...RECORD, properties: null }), /'properties'/],
    [body({ ...RECORD, robot: undefined }), /'robot'/],
    [body({ ...RECORD, component: 1 }), /'component'/],
  ];
  for (const [message, why] of cases) {
    assert.throws(() => decodeLogMessage(message), (error: unknown) => {
      assert.ok(error instanceof LogMessageError, String(error));
      assert.match(error.message, why);
      return true;
    });
  }
});

Deno.test("log records: a logtape record is formed with its message rendered", () => {
  const formed = formLogRecord({
    category: ["app", "nav"],
    level: "error",
    message: ["at ", 3, " m/s, ", new TypeError("bad"), " near ", { x: 1 }, ""],
    timestamp: 42,
    properties: { v: 3 },
  });
  assert.deepEqual(formed, {
    time: 42,
    level: "error",
    category: ["app", "nav"],
    message: 'at 3 m/s, TypeError: bad near {"x":1}',
    properties: { v: 3 },
  });
  assert.equal(renderLogMessage(["n=", 10n, ""]), "n=10");
  assert.equal(isAtLeast("warning", "warning"), true);
  assert.equal(isAtLeast("info", "warning"), false);
  assert.equal(isAtLeast("fatal", "trace"), true);
});
