import assert from "node:assert/strict";
import {
  decodeMessage,
  decodeTask,
  decodeTaskEvent,
  encodeMessage,
  encodeTask,
  encodeTaskEvent,
  isFinalState,
  parseTaskSpec,
  ProtocolError,
  RequestCode,
  stateName,
  TaskState,
} from "../../core/tasks/protocol.ts";

function bytesOf(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

Deno.test("ZTL numbers: request codes and states match the wire doc", () => {
  assert.deepEqual(RequestCode, { INIT: 1, STATUS: 2, ABORT: 3 });
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5].map(stateName),
    ["INITIATED", "ACCEPTED", "REJECTED", "FAILED", "ABORTED", "COMPLETED"],
  );
  assert.equal(stateName(-1), "-1");
  assert.deepEqual([0, 1, 2, 3, 4, 5].map(isFinalState), [false, false, true, true, true, true]);
});

Deno.test("message: encodes SCOPE;STATE;ID;PAYLOAD and decodes it back", () => {
  const text = encodeMessage({ scope: "/test", state: 1, id: -1, payload: "abc" });
  assert.equal(text, "/test;1;-1;abc");
  assert.deepEqual(decodeMessage(text), { scope: "/test", state: 1, id: -1, payload: "abc" });
  assert.deepEqual(decodeMessage(bytesOf(text)), decodeMessage(text));
});

Deno.test("message: payload keeps its ';' (split at most three times)", () => {
  const payload = "a;b;;c;";
  const text = encodeMessage({ scope: "/s", state: 5, id: 9, payload });
  assert.equal(decodeMessage(text).payload, payload);
  assert.equal(decodeMessage("/s;2;3;").payload, "");
});

Deno.test("message: fewer than four fields, bad integers and bad UTF-8 name the field", () => {
  for (const bad of ["", "no separators", "/s;1;2"]) {
    assert.throws(
      () => decodeMessage(bad),
      (e) => e instanceof ProtocolError && e.field === "message",
    );
  }
  assert.throws(
    () => decodeMessage("/s;x;1;p"),
    (e) => e instanceof ProtocolError && e.field === "state",
  );
  assert.throws(
    () => decodeMessage("/s;1;1.5;p"),
    (e) => e instanceof ProtocolError && e.field === "id",
  );
  assert.throws(
    () => decodeMessage("/s;1;99999999999999999999;p"),
    (e) => e instanceof ProtocolError && e.field === "id",
  );
  assert.throws(
    () => decodeMessage(new Uint8Array([0x2f, 0x3b, 0xff, 0xfe])),
    (e) => e instanceof ProtocolError && e.field === "message",
  );
  // Python int() accepts blanks and a sign, so zedge does too.
  assert.equal(decodeMessage("/s; 2 ;+7;p").id, 7);
});

Deno.test("message: a scope containing ';' cannot be encoded", () => {
  assert.throws(
    () => encodeMessage({ scope: "a;b", state: 1, id: 1, payload: "" }),
    (e) => e instanceof ProtocolError && e.field === "scope",
  );
});

Deno.test("task payload: matches ZTL's own examples in both separators", () => {
  assert.equal(encodeTask("test", "echo", "hello world"), "dGVzdDplY2hvOmhlbGxvIHdvcmxk");
  assert.equal(
    encodeTask("some-handler", "executing-component", "goal-state"),
    "c29tZS1oYW5kbGVyOmV4ZWN1dGluZy1jb21wb25lbnQ6Z29hbC1zdGF0ZQ==",
  );
  // ZTL 0.0.x documentation, sent with '¬'.
  assert.deepEqual(decodeTask("c29tZS1oYW5kbGVywqxleGVjdXRpbmctY29tcG9uZW50wqxnb2FsLXN0YXRl"), {
    handler: "some-handler",
    component: "executing-component",
    goal: "goal-state",
    separator: "¬",
  });
  assert.equal(
    encodeTask("some-handler", "executing-component", "goal-state", { separator: "¬" }),
    "c29tZS1oYW5kbGVywqxleGVjdXRpbmctY29tcG9uZW50wqxnb2FsLXN0YXRl",
  );
});

Deno.test("task payload: goals with separators, ';', unicode and nothing survive", () => {
  const goals = ["a:b:c", "x¬y", "semi;colon;", "", "ünïcødé ✓ 🤖", "line\nbreak", "::", "¬¬"];
  for (const separator of [":", "¬"] as const) {
    for (const goal of goals) {
      const decoded = decodeTask(encodeTask("h", "c", goal, { separator }));
      assert.deepEqual(decoded, { handler: "h", component: "c", goal, separator });
      // And through a whole message.
      const message = encodeMessage({
        scope: "/s",
        state: 1,
        id: -1,
        payload: encodeTask("h", "c", goal),
      });
      assert.equal(decodeTask(decodeMessage(message).payload).goal, goal);
    }
  }
});

Deno.test("task payload: bad input is a ProtocolError, and names cannot hold a separator", () => {
  for (
    const bad of [
      "!!!not base64",
      btoa("only:two"),
      btoa("noseparator"),
      btoa(":c:g"),
      btoa("h::g"),
    ]
  ) {
    assert.throws(() => decodeTask(bad), ProtocolError, bad);
  }
  assert.throws(() => decodeTask(btoa("\xff\xfe:x:y")), ProtocolError);
  assert.throws(
    () => encodeTask("a:b", "c", "g"),
    (e) => e instanceof ProtocolError && e.field === "handler",
  );
  assert.throws(
    () => encodeTask("a", "c¬", "g"),
    (e) => e instanceof ProtocolError && e.field === "component",
  );
  assert.throws(() => encodeTask("", "c", "g"), ProtocolError);
});

Deno.test("task spec from the command line splits at most twice", () => {
  assert.deepEqual(parseTaskSpec("test:echo:hello: world"), {
    handler: "test",
    component: "echo",
    goal: "hello: world",
  });
  assert.deepEqual(parseTaskSpec("test:echo:"), { handler: "test", component: "echo", goal: "" });
  assert.throws(() => parseTaskSpec("test:echo"), ProtocolError);
  assert.throws(() => parseTaskSpec(":echo:x"), ProtocolError);
});

Deno.test("events: JSON round trip, topic = scope, bad events rejected", () => {
  const event = {
    scope: "/arm",
    id: 12,
    state: TaskState.COMPLETED,
    payload: "done; ok",
    time: 1234.5,
  };
  const [topic, body] = encodeTaskEvent(event);
  assert.equal(topic, "/arm");
  assert.deepEqual(JSON.parse(body), { v: 1, ...event, name: "COMPLETED" });
  assert.deepEqual(decodeTaskEvent([bytesOf(topic), bytesOf(body)]), event);
  const bad: (string | Uint8Array)[][] = [
    [topic],
    [topic, "{not json"],
    [topic, JSON.stringify({ ...JSON.parse(body), v: 2 })],
    [topic, JSON.stringify({ ...JSON.parse(body), state: 9 })],
    [topic, JSON.stringify({ ...JSON.parse(body), id: "1" })],
    ["/other", body],
  ];
  for (const frames of bad) assert.throws(() => decodeTaskEvent(frames), ProtocolError);
});
