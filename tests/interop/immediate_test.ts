/**
 * The `immediate` option against libzmq (pyzmq): the same options give the
 * same outcome. A REQ with only receiveTimeout, whose server refuses its
 * CURVE key or is not there at all, sends at once and times out in
 * receive with immediate off (libzmq's default); with immediate on it times
 * out in send instead.
 */
import assert from "node:assert/strict";
import { generateKeyPair, Reply, Request, ZmqError } from "../../mod.ts";
import { freeTcpPort } from "../core/helpers.ts";

const TIMEOUT_MS = 300;

/** Where a REQ's first request/reply failed: "ok", "send:EAGAIN" or "receive:EAGAIN". */
type Outcome = string;

interface Case {
  endpoint: string;
  immediate: boolean;
  /** A server key the server does not have (CURVE), or none (NULL). */
  serverKey?: string;
}

async function zedgeOutcome(c: Case): Promise<Outcome> {
  const options = c.immediate
    ? { immediate: true, sendTimeout: TIMEOUT_MS, receiveTimeout: TIMEOUT_MS }
    : { receiveTimeout: TIMEOUT_MS };
  const req = new Request({ ...options, ...(c.serverKey ? { curveServerKey: c.serverKey } : {}) });
  try {
    req.connect(c.endpoint);
    for (
      const [step, run] of [["send", () => req.send("ping")], [
        "receive",
        () => req.receive(),
      ]] as const
    ) {
      try {
        await run();
      } catch (error) {
        if (error instanceof ZmqError) return `${step}:${error.code}`;
        throw error;
      }
    }
    return "ok";
  } finally {
    await req.close();
  }
}

async function pyzmqOutcome(c: Case): Promise<Outcome> {
  const script = `
import sys, zmq
endpoint, immediate, server_key, timeout = sys.argv[1], sys.argv[2] == "1", sys.argv[3], int(sys.argv[4])
ctx = zmq.Context()
req = ctx.socket(zmq.REQ)
req.setsockopt(zmq.LINGER, 0)
req.setsockopt(zmq.RCVTIMEO, timeout)
if immediate:
    req.setsockopt(zmq.IMMEDIATE, 1)
    req.setsockopt(zmq.SNDTIMEO, timeout)
if server_key:
    public, secret = zmq.curve_keypair()
    req.curve_publickey, req.curve_secretkey = public, secret
    req.curve_serverkey = server_key.encode()
req.connect(endpoint)
outcome = "ok"
for step, run in (("send", lambda: req.send(b"ping")), ("receive", lambda: req.recv())):
    try:
        run()
    except zmq.Again:
        outcome = step + ":EAGAIN"
        break
print(outcome)
req.close()
ctx.term()
`;
  const output = await new Deno.Command("/usr/bin/python3", {
    args: [
      "-c",
      script,
      c.endpoint,
      c.immediate ? "1" : "0",
      c.serverKey ?? "",
      String(TIMEOUT_MS),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  return new TextDecoder().decode(output.stdout).trim();
}

/** A CURVE REP server with keys of its own; clients are given another key as its key. */
async function curveServer(): Promise<{ rep: Reply; wrongKey: string }> {
  const server = await generateKeyPair();
  const other = await generateKeyPair();
  const rep = new Reply({ curveServer: true, curveSecretKey: server.secretKey });
  await rep.bind("tcp://127.0.0.1:0");
  return { rep, wrongKey: other.publicKey };
}

for (const immediate of [false, true]) {
  const expected = immediate ? "send:EAGAIN" : "receive:EAGAIN";

  Deno.test(`immediate ${immediate}: a CURVE REQ with a wrong server key fails as pyzmq's does (${expected})`, async () => {
    const { rep, wrongKey } = await curveServer();
    try {
      const c = { endpoint: rep.lastEndpoint!, immediate, serverKey: wrongKey };
      const [zedge, pyzmq] = await Promise.all([zedgeOutcome(c), pyzmqOutcome(c)]);
      assert.equal(pyzmq, expected, "pyzmq's outcome");
      assert.equal(zedge, pyzmq, "zedge's outcome, beside pyzmq's for the same options");
    } finally {
      await rep.close();
    }
  });

  Deno.test(`immediate ${immediate}: a REQ whose server is down fails as pyzmq's does (${expected})`, async () => {
    const c = { endpoint: `tcp://127.0.0.1:${freeTcpPort()}`, immediate };
    const [zedge, pyzmq] = await Promise.all([zedgeOutcome(c), pyzmqOutcome(c)]);
    assert.equal(pyzmq, expected, "pyzmq's outcome");
    assert.equal(zedge, pyzmq, "zedge's outcome, beside pyzmq's for the same options");
  });
}

Deno.test("immediate false: the request queued while the server was down is answered once it is up", async () => {
  const endpoint = `tcp://127.0.0.1:${freeTcpPort()}`;
  const req = new Request({ receiveTimeout: 5000, reconnectInterval: 10 });
  const rep = new Reply();
  try {
    req.connect(endpoint);
    await req.send("early"); // at once: the endpoint is a peer before it is up
    await rep.bind(endpoint);
    const [request] = await rep.receive();
    assert.equal(new TextDecoder().decode(request), "early");
    await rep.send("answer");
    const [reply] = await req.receive();
    assert.equal(new TextDecoder().decode(reply), "answer");
  } finally {
    await req.close();
    await rep.close();
  }
});
