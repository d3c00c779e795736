/**
 * The ZAP authenticator (RFC 27) and the mechanisms that ask it: PLAIN
 * passwords, CURVE allow lists from a directory (re-read when it changes:
 * key rotation), IP allow and deny lists for NULL, domains, and a handler
 * of the user's own on `inproc://zeromq.zap.01`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type AuthDecision,
  Authenticator,
  Pull,
  Push,
  Reply,
  type Socket,
  writeCertificatePair,
  ZAP_ENDPOINT,
} from "../../mod.ts";
import { closeAll, EventLog, tempDir, texts } from "./helpers.ts";
import { keyPair, LogRecorder } from "./security_helpers.ts";

/** Binds `server`, connects `client`; resolves true when a message got through, false on refusal. */
async function connects(server: Socket, client: Socket): Promise<{ ok: boolean; reason: string }> {
  const clientEvents = new EventLog(client);
  const serverEvents = new EventLog(server);
  try {
    if (server.lastEndpoint === null) await server.bind("tcp://127.0.0.1:0");
    client.connect(server.lastEndpoint!);
    const outcome = await Promise.race([
      clientEvents.wait("handshake").then(() => ({ ok: true, reason: "" })),
      serverEvents.wait("handshake:error").then((e) => ({ ok: false, reason: e.reason ?? "" })),
    ]);
    if (outcome.ok) {
      await client.send("hello");
      assert.deepEqual(texts(await server.receive()), ["hello"]);
    }
    return outcome;
  } finally {
    clientEvents.stop();
    serverEvents.stop();
  }
}

Deno.test("auth: PLAIN users get in with their password, others get ERROR 400 and a logged reason", async () => {
  const logs = await LogRecorder.start();
  const decisions: AuthDecision[] = [];
  const auth = new Authenticator({
    plain: { users: { operator: "s3cret" } },
    onDecision: (d) => decisions.push(d),
  });
  await auth.start();
  const pull = new Pull({ plainServer: true, linger: 0 });
  const good = new Push({ plainUsername: "operator", plainPassword: "s3cret", linger: 0 });
  const bad = new Push({ plainUsername: "operator", plainPassword: "guess", linger: 0 });
  const badEvents = new EventLog(bad);
  try {
    assert.deepEqual(await connects(pull, good), { ok: true, reason: "" });
    const refused = await connects(pull, bad);
    assert.equal(refused.ok, false);
    assert.match(
      refused.reason,
      /PLAIN client refused by the ZAP handler: 400 PLAIN user 'operator' gave a wrong password/,
    );
    const told = await badEvents.wait("handshake:error");
    assert.match(told.reason ?? "", /PLAIN server refused: 400/);
    await logs.waitFor(/auth: refused PLAIN client 127\.0\.0\.1 .*gave a wrong password/);
    assert.deepEqual(decisions.map((d) => [d.allowed, d.userId]), [[true, "operator"], [
      false,
      "",
    ]]);
  } finally {
    await closeAll(good, bad, pull);
    await auth.close();
    await logs.stop();
  }
});

Deno.test("auth: a PLAIN server with no ZAP handler refuses everyone, saying why", async () => {
  const pull = new Pull({ plainServer: true, linger: 0 });
  const push = new Push({ plainUsername: "anyone", plainPassword: "", linger: 0 });
  try {
    const refused = await connects(pull, push);
    assert.equal(refused.ok, false);
    assert.match(
      refused.reason,
      /PLAIN needs a ZAP handler .* none is bound to inproc:\/\/zeromq\.zap\.01/,
    );
  } finally {
    await closeAll(push, pull);
  }
});

Deno.test("auth: the passwords file is re-read when it changes", async () => {
  const dir = await tempDir();
  const file = join(dir, "passwords");
  await Deno.writeTextFile(file, "# operators\nalice=one\n");
  const auth = new Authenticator({ plain: { passwordsFile: file } });
  await auth.start();
  const pull = new Pull({ plainServer: true, linger: 0 });
  const sockets: Socket[] = [pull];
  const client = (user: string, password: string) => {
    const push = new Push({ plainUsername: user, plainPassword: password, linger: 0 });
    sockets.push(push);
    return push;
  };
  try {
    assert.equal((await connects(pull, client("alice", "one"))).ok, true);
    assert.match(
      (await connects(pull, client("bob", "two"))).reason,
      /PLAIN user 'bob' is unknown/,
    );
    await Deno.writeTextFile(file, "alice=one\nbob=two\n");
    assert.equal((await connects(pull, client("bob", "two"))).ok, true);
  } finally {
    await closeAll(...sockets);
    await auth.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("auth: CURVE clients from an allow directory; removing a .pub locks that client out", async () => {
  const dir = await tempDir();
  const clients = join(dir, "clients");
  const alice = await writeCertificatePair(join(dir, "alice"));
  const bob = await writeCertificatePair(join(dir, "bob"));
  await Deno.mkdir(clients);
  await Deno.copyFile(alice.publicFile, join(clients, "alice.pub"));
  // A secret certificate in the directory is never read as an allowed key.
  await Deno.copyFile(bob.secretFile, join(clients, "bob.key"));
  const auth = new Authenticator({ curve: { allow: [clients] } });
  await auth.start();
  const server = await keyPair();
  const pull = new Pull({ curveServer: true, curveSecretKey: server.secretKey, linger: 0 });
  const sockets: Socket[] = [pull];
  const client = async (secretFile: string) => {
    const { secretKey } = await (await import("../../mod.ts")).readSecretCertificate(secretFile);
    const push = new Push({
      curveServerKey: server.publicKey,
      curveSecretKey: secretKey,
      linger: 0,
    });
    sockets.push(push);
    return push;
  };
  try {
    assert.equal((await connects(pull, await client(alice.secretFile))).ok, true);
    assert.match(
      (await connects(pull, await client(bob.secretFile))).reason,
      /refused by the ZAP handler: 400 CURVE client key .* is not in the allow list/,
    );
    // Rotation: bob's new public key goes in, alice's comes out.
    await Deno.copyFile(bob.publicFile, join(clients, "bob.pub"));
    await Deno.remove(join(clients, "alice.pub"));
    assert.equal((await connects(pull, await client(bob.secretFile))).ok, true);
    assert.equal((await connects(pull, await client(alice.secretFile))).ok, false);
  } finally {
    await closeAll(...sockets);
    await auth.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("auth: IP deny and allow lists apply to NULL sockets with a ZAP domain", async () => {
  const sockets: Socket[] = [];
  const pair = (zapDomain: string) => {
    const pull = new Pull({ zapDomain, linger: 0 });
    const push = new Push({ linger: 0 });
    sockets.push(pull, push);
    return [pull, push] as const;
  };
  const auth = new Authenticator({
    domains: {
      denied: { denyAddresses: ["127.0.0.1"] },
      elsewhere: { allowAddresses: ["10.1.2.3"] },
      listed: { allowAddresses: ["127.0.0.1"] },
    },
  });
  await auth.start();
  try {
    assert.match(
      (await connects(...pair("denied"))).reason,
      /address 127\.0\.0\.1 is in the denied addresses/,
    );
    assert.match((await connects(...pair("elsewhere"))).reason, /not in the allowed addresses/);
    assert.equal((await connects(...pair("listed"))).ok, true);
    assert.equal((await connects(...pair("other"))).ok, true, "no list for this domain: allowed");
    // Without a ZAP domain a NULL socket never asks (libzmq's rule).
    assert.equal((await connects(...pair(""))).ok, true);
  } finally {
    await closeAll(...sockets);
    await auth.close();
  }
});

Deno.test("auth: a ZAP handler of your own gets RFC 27 requests and its verdicts are enforced", async () => {
  const handler = new Reply({ linger: 0 });
  await handler.bind(ZAP_ENDPOINT);
  const requests: string[][] = [];
  const serving = (async () => {
    for await (const frames of handler) {
      const fields = frames.map((f) => new TextDecoder().decode(f));
      requests.push(fields);
      const [version, id, , , , , user] = fields;
      const status = user === "friend" ? "200" : user === "busy" ? "300" : "400";
      await handler.send([version, id, status, status === "200" ? "OK" : "No", user, ""]);
    }
  })();
  const pull = new Pull({ plainServer: true, zapDomain: "robots", routingId: "srv", linger: 0 });
  const friend = new Push({ plainUsername: "friend", plainPassword: "pw", linger: 0 });
  const foe = new Push({ plainUsername: "foe", plainPassword: "pw", linger: 0 });
  const busy = new Push({ plainUsername: "busy", plainPassword: "pw", linger: 0 });
  const busyEvents = new EventLog(busy);
  try {
    assert.equal((await connects(pull, friend)).ok, true);
    // A REP handler sees the request without its envelope.
    assert.deepEqual(requests[0], [
      "1.0",
      requests[0][1],
      "robots",
      "127.0.0.1",
      "srv",
      "PLAIN",
      "friend",
      "pw",
    ]);
    assert.match((await connects(pull, foe)).reason, /400 No/);
    // 300: a temporary failure closes without ERROR (the client just sees the link go).
    assert.match(
      (await connects(pull, busy)).reason,
      /failed temporarily \(300 No\); closing without ERROR/,
    );
    assert.equal(
      busyEvents.of("handshake:error").some((e) => /refused: 300/.test(e.reason ?? "")),
      false,
    );
  } finally {
    await closeAll(friend, foe, busy, pull);
    await handler.close();
    await serving;
  }
});

Deno.test("auth: start() fails on a file that cannot be read, naming it", async () => {
  const auth = new Authenticator({ curve: { allow: ["/nonexistent/clients"] } });
  await assert.rejects(auth.start(), /cannot read the allow list entry \/nonexistent\/clients/);
  const dir = await tempDir();
  await Deno.writeTextFile(join(dir, "passwords"), "alice=one\nno equals sign\n");
  const plain = new Authenticator({ plain: { passwordsFile: join(dir, "passwords") } });
  await assert.rejects(plain.start(), /passwords:2: expected 'name=password'/);
  await Deno.remove(dir, { recursive: true });
});
