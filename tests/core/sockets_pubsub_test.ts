/**
 * PUB/SUB, XPUB/XSUB and the XSUB↔XPUB proxy over tcp, ipc and inproc:
 * prefix filtering, unsubscribe, subscriptions resent after the publisher
 * restarts, subscription messages seen by XPUB, subscribing by sending on XSUB.
 *
 * @module
 */
import assert from "node:assert/strict";
import { proxy, Publisher, Subscriber, XPublisher, XSubscriber } from "../../mod.ts";
import {
  bytes,
  closeAll,
  EventLog,
  isProbe,
  PROBE,
  probe,
  receiveSkippingProbes,
  rejectsWithCode,
  syncSubscriber,
  text,
  texts,
  throwsWithCode,
  TRANSPORTS,
  within,
} from "./helpers.ts";

/** Receives until a message whose first frame is `end`, skipping probes; returns first frames. */
async function collectUntil(sub: Subscriber, end: string): Promise<string[]> {
  const topics: string[] = [];
  for (;;) {
    const frames = await receiveSkippingProbes(sub);
    topics.push(texts(frames).join("|"));
    if (text(frames[0]) === end) return topics;
  }
}

/** A subscription message as XPUB delivers it: flag byte then the topic. */
function subscription(flag: 0 | 1, topic: string): Uint8Array {
  return new Uint8Array([flag, ...bytes(topic)]);
}

for (const transport of TRANSPORTS) {
  const t = `[${transport.name}]`;

  Deno.test(`pub/sub ${t}: prefix filtering`, async () => {
    const pub = new Publisher();
    const sub = new Subscriber();
    const everything = new Subscriber();
    try {
      await pub.bind(transport.bindEndpoint());
      sub.connect(pub.lastEndpoint!);
      everything.connect(pub.lastEndpoint!);
      sub.subscribe("robot/arm", new Uint8Array([0xff, 0x00]));
      sub.subscribe(PROBE);
      everything.subscribe();
      await syncSubscriber((m) => pub.send(m), sub);
      await syncSubscriber((m) => pub.send(m), everything);
      const sent = [
        ["robot/arm/state", "1"],
        ["robot/base/state", "2"],
        ["robot/ar", "3"], // shorter than the prefix: no match
        ["robot/arm", "4"], // exactly the prefix
        ["ROBOT/arm", "5"], // prefixes are case-sensitive bytes
        ["", "6"],
      ];
      for (const message of sent) await pub.send(message);
      await pub.send([new Uint8Array([0xff, 0x00, 0x01]), "binary"]);
      await pub.send(["robot/arm/end"]);
      assert.deepEqual(await collectUntil(sub, "robot/arm/end"), [
        "robot/arm/state|1",
        "robot/arm|4",
        `${text(new Uint8Array([0xff, 0x00, 0x01]))}|binary`,
        "robot/arm/end",
      ]);
      const all = await collectUntil(everything, "robot/arm/end");
      assert.equal(all.length, sent.length + 2);
      await rejectsWithCode(pub.receive(), "ENOTSUP");
      await rejectsWithCode(sub.send("x"), "ENOTSUP");
    } finally {
      await closeAll(sub, everything, pub);
    }
  });

  Deno.test(`pub/sub ${t}: tryReceive drains what is queued without waiting`, async () => {
    const pub = new Publisher();
    const sub = new Subscriber();
    try {
      await pub.bind(transport.bindEndpoint());
      sub.connect(pub.lastEndpoint!);
      sub.subscribe("t/", PROBE);
      await syncSubscriber((m) => pub.send(m), sub);
      while (sub.tryReceive() !== undefined); // later probe copies
      assert.equal(sub.tryReceive(), undefined);
      for (let i = 0; i < 50; i++) await pub.send(["t/x", String(i)]);
      await pub.send("u/not-subscribed");
      await pub.send("t/end");
      const got: string[] = [];
      for (let rounds = 0; got.at(-1) !== "t/end"; rounds++) {
        assert.ok(rounds < 10_000, `tryReceive gave ${got.length} messages, then nothing`);
        const frames = sub.tryReceive();
        if (frames === undefined) assert.equal(await within(sub.readable(), "readable()"), true);
        else if (!isProbe(frames)) got.push(texts(frames).join("|"));
      }
      assert.deepEqual(got, [...Array.from({ length: 50 }, (_, i) => `t/x|${i}`), "t/end"]);
      assert.equal(sub.lastPublisher, pub.lastEndpoint);
      assert.equal(sub.tryReceive(), undefined);
      throwsWithCode(() => pub.tryReceive(), "ENOTSUP");
      await sub.close();
      throwsWithCode(() => sub.tryReceive(), "ETERM");
    } finally {
      await closeAll(sub, pub);
    }
  });

  Deno.test(`pub/sub ${t}: unsubscribe stops delivery; subscriptions are counted`, async () => {
    const pub = new Publisher();
    const sub = new Subscriber();
    try {
      await pub.bind(transport.bindEndpoint());
      sub.connect(pub.lastEndpoint!);
      sub.subscribe("a", "b", "b", PROBE);
      await syncSubscriber((m) => pub.send(m), sub);
      sub.unsubscribe("a");
      sub.unsubscribe("b"); // subscribed twice: still subscribed once
      sub.unsubscribe("never-subscribed"); // harmless
      // A second probe topic subscribed after the unsubscribes proves they reached the publisher.
      sub.subscribe(probe(2));
      await syncSubscriber((m) => pub.send(m), sub, probe(2));
      for (const topic of ["a1", "b1", "a2", "b2"]) await pub.send(topic);
      await pub.send("b-end");
      assert.deepEqual(await collectUntil(sub, "b-end"), ["b1", "b2", "b-end"]);
      sub.unsubscribe("b");
      sub.subscribe("c");
      sub.subscribe(probe(3));
      await syncSubscriber((m) => pub.send(m), sub, probe(3));
      for (const topic of ["b3", "c1"]) await pub.send(topic);
      assert.deepEqual(await collectUntil(sub, "c1"), ["c1"]);
    } finally {
      await closeAll(sub, pub);
    }
  });

  Deno.test(`pub/sub ${t}: subscriptions are resent after the publisher restarts`, async () => {
    const pub = new Publisher();
    let restarted: Publisher | null = null;
    const sub = new Subscriber({ reconnectInterval: 20 });
    try {
      await pub.bind(transport.bindEndpoint());
      const endpoint = pub.lastEndpoint!;
      const log = new EventLog(sub);
      sub.connect(endpoint);
      sub.subscribe("keep/", PROBE);
      await syncSubscriber((m) => pub.send(m), sub);
      await pub.send("keep/before");
      assert.deepEqual(texts(await receiveSkippingProbes(sub)), ["keep/before"]);
      await pub.close();
      await log.wait("disconnect");
      restarted = new Publisher();
      await restarted.bind(endpoint); // same port / path / name
      await log.wait("handshake", 2);
      // The new publisher knows nothing of the subscriptions unless they were resent.
      await syncSubscriber((m) => restarted!.send(m), sub);
      await restarted.send("drop/this");
      await restarted.send("keep/after");
      assert.deepEqual(await collectUntil(sub, "keep/after"), ["keep/after"]);
    } finally {
      await closeAll(sub, pub, restarted);
    }
  });

  Deno.test(`xpub ${t}: receives subscribe and unsubscribe messages, also when a subscriber leaves`, async () => {
    const xpub = new XPublisher();
    const first = new Subscriber();
    const second = new Subscriber();
    try {
      await xpub.bind(transport.bindEndpoint());
      first.connect(xpub.lastEndpoint!);
      first.subscribe("alerts", "logs");
      assert.deepEqual(await within(xpub.receive(), "subscribe alerts"), [
        subscription(1, "alerts"),
      ]);
      assert.deepEqual(await within(xpub.receive(), "subscribe logs"), [subscription(1, "logs")]);
      first.unsubscribe("logs");
      assert.deepEqual(await within(xpub.receive(), "unsubscribe logs"), [subscription(0, "logs")]);
      // A second subscriber to a known prefix is not reported (not verbose)...
      second.connect(xpub.lastEndpoint!);
      second.subscribe("alerts", "metrics");
      assert.deepEqual(await within(xpub.receive(), "subscribe metrics"), [
        subscription(1, "metrics"),
      ]);
      // ...and the prefix is only cancelled when its last subscriber goes.
      await first.close();
      second.unsubscribe("metrics");
      assert.deepEqual(await within(xpub.receive(), "unsubscribe metrics"), [
        subscription(0, "metrics"),
      ]);
      await second.close();
      assert.deepEqual(await within(xpub.receive(), "alerts gone with the last subscriber"), [
        subscription(0, "alerts"),
      ]);
      // XPUB still publishes like PUB.
      const third = new Subscriber();
      try {
        third.connect(xpub.lastEndpoint!);
        third.subscribe("news");
        assert.deepEqual(await within(xpub.receive(), "subscribe news"), [subscription(1, "news")]);
        await xpub.send(["other", "x"]);
        await xpub.send(["news", "y"]);
        assert.deepEqual(texts(await within(third.receive(), "news")), ["news", "y"]);
      } finally {
        await third.close();
      }
    } finally {
      await closeAll(first, second, xpub);
    }
  });

  Deno.test(`xpub ${t}: verbose reports every subscription`, async () => {
    const xpub = new XPublisher({ verbose: true });
    const subs = [new Subscriber(), new Subscriber()];
    try {
      await xpub.bind(transport.bindEndpoint());
      for (const sub of subs) {
        sub.connect(xpub.lastEndpoint!);
        sub.subscribe("same");
        assert.deepEqual(await within(xpub.receive(), "subscribe same"), [subscription(1, "same")]);
      }
      subs[0].subscribe(""); // subscribe to everything
      assert.deepEqual(await within(xpub.receive(), "subscribe everything"), [new Uint8Array([1])]);
    } finally {
      await closeAll(...subs, xpub);
    }
  });

  Deno.test(`xsub ${t}: subscribes by sending 0x01 + topic, unsubscribes with 0x00`, async () => {
    const pub = new Publisher();
    const xsub = new XSubscriber();
    try {
      await pub.bind(transport.bindEndpoint());
      xsub.connect(pub.lastEndpoint!);
      await xsub.send(subscription(1, "temp/"));
      await xsub.send(subscription(1, PROBE));
      await syncSubscriber((m) => pub.send(m), xsub);
      for (const topic of ["temp/1", "humidity/1", "temp/2"]) await pub.send(topic);
      assert.deepEqual(texts(await receiveSkippingProbes(xsub)), ["temp/1"]);
      assert.deepEqual(texts(await receiveSkippingProbes(xsub)), ["temp/2"]);
      await xsub.send(subscription(0, "temp/"));
      await xsub.send(subscription(1, probe(2)));
      await syncSubscriber((m) => pub.send(m), xsub, probe(2));
      await pub.send("temp/3");
      await pub.send("humidity/2");
      await xsub.send(subscription(1, "humidity/"));
      await xsub.send(subscription(1, probe(3)));
      await syncSubscriber((m) => pub.send(m), xsub, probe(3));
      await pub.send("humidity/3");
      assert.deepEqual(texts(await receiveSkippingProbes(xsub)), ["humidity/3"]);
    } finally {
      await closeAll(xsub, pub);
    }
  });

  Deno.test(`proxy ${t}: XSUB↔XPUB forwards data down and subscriptions up`, async () => {
    const xsub = new XSubscriber();
    const xpub = new XPublisher();
    const pub = new Publisher();
    const sub = new Subscriber();
    try {
      await xsub.bind(transport.bindEndpoint());
      await xpub.bind(transport.bindEndpoint());
      const running = proxy(xsub, xpub);
      pub.connect(xsub.lastEndpoint!);
      sub.connect(xpub.lastEndpoint!);
      sub.subscribe("weather/", PROBE);
      // The probe travels pub → xsub → proxy → xpub → sub, so its arrival shows
      // the subscriptions went sub → xpub → proxy → xsub → pub.
      await syncSubscriber((m) => pub.send(m), sub);
      await pub.send(["traffic/a1", "jam"]);
      await pub.send(["weather/oslo", "rain"]);
      assert.deepEqual(texts(await receiveSkippingProbes(sub)), ["weather/oslo", "rain"]);
      await closeAll(xsub, xpub);
      await within(running, "the proxy to stop");
    } finally {
      await closeAll(sub, pub, xpub, xsub);
    }
  });
}
