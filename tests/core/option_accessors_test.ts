/**
 * Every option in a socket type's table is a get/set pair declared on its
 * class (so "go to definition" lands on it): reading gives the default, a
 * valid assignment reads back, an invalid one is EINVAL naming the option
 * and leaves the old value. A table line added without its pair fails here.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  Dealer,
  Pair,
  Publisher,
  Pull,
  Push,
  Reply,
  Request,
  Router,
  type Socket,
  Subscriber,
  XPublisher,
  XSubscriber,
  ZmqError,
} from "../../mod.ts";
import { type OptionSpec, type OptionTable, SOCKET_OPTIONS } from "../../core/sockets/options.ts";
import { REQUEST_OPTIONS } from "../../core/sockets/request.ts";
import { ROUTER_OPTIONS } from "../../core/sockets/router.ts";
import { XPUB_OPTIONS } from "../../core/sockets/xpublisher.ts";

const SOCKETS: [string, () => Socket, OptionTable][] = [
  ["Push", () => new Push(), {}],
  ["Pull", () => new Pull(), {}],
  ["Pair", () => new Pair(), {}],
  ["Dealer", () => new Dealer(), {}],
  ["Reply", () => new Reply(), {}],
  ["Publisher", () => new Publisher(), {}],
  ["Subscriber", () => new Subscriber(), {}],
  ["XSubscriber", () => new XSubscriber(), {}],
  ["Request", () => new Request(), REQUEST_OPTIONS],
  ["Router", () => new Router(), ROUTER_OPTIONS],
  ["XPublisher", () => new XPublisher(), XPUB_OPTIONS],
];

/** The accessor pair for `name` on the prototype chain of `object`, if declared. */
function accessorOf(object: object, name: string): PropertyDescriptor | undefined {
  for (let p = Object.getPrototypeOf(object); p !== null; p = Object.getPrototypeOf(p)) {
    const descriptor = Object.getOwnPropertyDescriptor(p, name);
    if (descriptor !== undefined) return descriptor;
  }
  return undefined;
}

/** A value the spec accepts that differs from its default, and one it refuses. */
function samples(spec: OptionSpec): { good: unknown; bad: unknown } {
  switch (spec.kind) {
    case "integer":
      return { good: spec.default + 7, bad: spec.min - 1 };
    case "boolean":
      return { good: !spec.default, bad: "yes" };
    case "text":
      return { good: "domain-a", bad: "x".repeat(256) };
    case "curveKey":
      return { good: "0".repeat(40), bad: "short" };
    case "routingId":
      return { good: new Uint8Array([1, 2]), bad: new Uint8Array([0, 1]) };
  }
}

for (const [label, make, own] of SOCKETS) {
  Deno.test(`${label}: every option of its table is a declared accessor that checks its value`, () => {
    const socket = make();
    try {
      for (const [name, spec] of Object.entries({ ...SOCKET_OPTIONS, ...own })) {
        const descriptor = accessorOf(socket, name);
        assert.ok(descriptor?.get && descriptor?.set, `${label}.${name} has no get/set pair`);
        const view = socket as unknown as Record<string, unknown>;
        const initial = "default" in spec ? spec.default : null;
        assert.deepEqual(view[name], initial, `${label}.${name} default`);
        const { good, bad } = samples(spec);
        view[name] = good;
        assert.deepEqual(view[name], good, `${label}.${name} reads back`);
        assert.throws(
          () => (view[name] = bad),
          (e) => e instanceof ZmqError && e.code === "EINVAL" && e.message.includes(name),
        );
        assert.deepEqual(view[name], good, `${label}.${name} kept after a refused value`);
      }
    } finally {
      socket.close();
    }
  });
}

Deno.test("a socket type's own option is not an option of the others", () => {
  const push = new Push();
  try {
    assert.equal(accessorOf(push, "relaxed"), undefined);
    assert.throws(
      () => new Push({ relaxed: true } as never),
      (e) => e instanceof ZmqError && e.code === "EINVAL" && e.message.includes("relaxed"),
    );
  } finally {
    push.close();
  }
});
