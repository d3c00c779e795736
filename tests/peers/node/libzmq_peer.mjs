#!/usr/bin/env node
/**
 * A scriptable libzmq peer (zeromq.js under Node) that zedge's interop tests
 * drive. It is tests/peers/python/libzmq_peer.py on another binding: same
 * arguments, same stdout lines, so one Deno test table drives either. The
 * full description of the arguments, frames, roles and script commands is
 * the docstring of that file; in short:
 *
 *   node libzmq_peer.mjs --type TYPE (--bind EP | --connect EP)...
 *     [--role script|echo|send|recv] [--count N] [--message JSON]
 *     [--interval MS] [--timeout MS] [--routing-id HEX] [--subscribe HEX]...
 *     [--xpub-verbose] [--router-mandatory] [--linger MS] [--monitor]
 *     [--max-lifetime MS] [--curve-server] [--curve-public-key Z85]
 *     [--curve-secret-key Z85] [--curve-server-key Z85] [--plain-server]
 *     [--plain-username U] [--plain-password P] [--zap-domain D]
 *     [--zap-allow-plain U=P]... [--zap-allow-curve Z85]...
 *
 * Every stdout line is one JSON object with an "event" field; the first is
 * {"event": "ready", "endpoints": [...]}. Frames go in as hex strings or
 * {"pattern": N} (byte i = i % 251) and come out as hex strings, or as
 * {"size", "sha256"} when longer than 65536 bytes.
 *
 * zeromq.js takes routing ids as strings, so --routing-id must be UTF-8 here.
 */
import { createHash } from "node:crypto";
import { fstatSync } from "node:fs";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";

const HEX_LIMIT = 65536;
const DEFAULT_TIMEOUT_MS = 10000;
const ECHOERS = new Set(["REP", "DEALER", "ROUTER", "PAIR"]);
const TYPES = "REQ REP DEALER ROUTER PUB SUB XPUB XSUB PUSH PULL PAIR".split(" ");
const SENDERS = new Set("REQ REP DEALER ROUTER PUB XPUB XSUB PUSH PAIR".split(" "));
const RECEIVERS = new Set("REQ REP DEALER ROUTER SUB XPUB XSUB PULL PAIR".split(" "));

/** A bad argument or command, reported as {"event": "error"}. */
class PeerError extends Error {
  constructor(message, code = undefined) {
    super(message);
    this.code = code;
  }
}

function emit(record) {
  process.stdout.write(JSON.stringify(record) + "\n");
}

/**
 * Writes the last line and lets Node exit on its own: process.exit() would skip
 * libzmq's linger, losing messages a `send` role has queued but not yet written.
 */
function finish(code, record) {
  if (record) emit(record);
  process.exitCode = code;
  process.stdin.destroy();
}

/** Exits now, for when the driving test went away or the peer outlived its time. */
function abandon() {
  process.exit(0);
}

function pattern(size) {
  const block = Buffer.alloc(251);
  for (let i = 0; i < 251; i++) block[i] = i;
  const frame = Buffer.alloc(size);
  if (size > 0) frame.fill(block);
  return frame;
}

function decodeHex(text, where) {
  if (typeof text !== "string" || text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) {
    throw new PeerError(`${where}: not a hex string: ${JSON.stringify(text).slice(0, 40)}`);
  }
  return Buffer.from(text, "hex");
}

function decodeFrame(spec, where) {
  if (typeof spec === "string") return decodeHex(spec, where);
  if (
    spec !== null && typeof spec === "object" && Number.isInteger(spec.pattern) &&
    spec.pattern >= 0
  ) {
    return pattern(spec.pattern);
  }
  throw new PeerError(
    `${where}: a frame is a hex string or {"pattern": N}, got ${JSON.stringify(spec)}`,
  );
}

function decodeMessage(specs, where) {
  if (!Array.isArray(specs) || specs.length === 0) {
    throw new PeerError(`${where}: a message is a non-empty JSON array of frames`);
  }
  return specs.map((spec, i) => decodeFrame(spec, `${where}[${i}]`));
}

function encodeFrame(frame) {
  if (frame.length <= HEX_LIMIT) return Buffer.from(frame).toString("hex");
  return { size: frame.length, sha256: createHash("sha256").update(frame).digest("hex") };
}

function integer(value, name, fallback) {
  if (value === undefined) return fallback;
  if (!/^-?\d+$/.test(value)) throw new PeerError(`bad arguments: ${name} must be an integer`);
  return Number(value);
}

function parseCli(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        type: { type: "string" },
        bind: { type: "string", multiple: true, default: [] },
        connect: { type: "string", multiple: true, default: [] },
        role: { type: "string", default: "script" },
        count: { type: "string" },
        message: { type: "string" },
        interval: { type: "string" },
        timeout: { type: "string" },
        "routing-id": { type: "string" },
        subscribe: { type: "string", multiple: true, default: [] },
        "xpub-verbose": { type: "boolean", default: false },
        "router-mandatory": { type: "boolean", default: false },
        linger: { type: "string" },
        monitor: { type: "boolean", default: false },
        "max-lifetime": { type: "string" },
        "curve-server": { type: "boolean", default: false },
        "curve-public-key": { type: "string" },
        "curve-secret-key": { type: "string" },
        "curve-server-key": { type: "string" },
        "plain-server": { type: "boolean", default: false },
        "plain-username": { type: "string" },
        "plain-password": { type: "string" },
        "zap-domain": { type: "string" },
        "zap-allow-plain": { type: "string", multiple: true, default: [] },
        "zap-allow-curve": { type: "string", multiple: true, default: [] },
      },
    }));
  } catch (error) {
    throw new PeerError(`bad arguments: ${error.message}`);
  }
  if (!TYPES.includes(values.type)) {
    throw new PeerError(`bad arguments: --type must be one of ${TYPES.join(", ")}`);
  }
  if (!["script", "echo", "send", "recv"].includes(values.role)) {
    throw new PeerError("bad arguments: --role must be script, echo, send or recv");
  }
  if (values.bind.length === 0 && values.connect.length === 0) {
    throw new PeerError("bad arguments: give at least one --bind or --connect endpoint");
  }
  const args = {
    type: values.type,
    bind: values.bind,
    connect: values.connect,
    role: values.role,
    count: integer(values.count, "--count", 1),
    interval: integer(values.interval, "--interval", 0),
    timeout: integer(values.timeout, "--timeout", DEFAULT_TIMEOUT_MS),
    linger: integer(values.linger, "--linger", 1000),
    maxLifetime: integer(values["max-lifetime"], "--max-lifetime", 120000),
    routingId: values["routing-id"],
    subscribe: values.subscribe.map((prefix) => decodeHex(prefix, "--subscribe")),
    xpubVerbose: values["xpub-verbose"],
    routerMandatory: values["router-mandatory"],
    monitor: values.monitor,
    security: {
      curveServer: values["curve-server"],
      curvePublicKey: values["curve-public-key"],
      curveSecretKey: values["curve-secret-key"],
      curveServerKey: values["curve-server-key"],
      plainServer: values["plain-server"],
      plainUsername: values["plain-username"],
      plainPassword: values["plain-password"],
      zapDomain: values["zap-domain"],
    },
    zapAllowPlain: values["zap-allow-plain"],
    zapAllowCurve: values["zap-allow-curve"],
  };
  if (args.count < 0) throw new PeerError("bad arguments: --count must be >= 0");
  if (args.role === "send") {
    if (!SENDERS.has(args.type)) {
      throw new PeerError(`bad arguments: a ${args.type} socket cannot send`);
    }
    if (values.message === undefined) {
      throw new PeerError("bad arguments: --role send needs --message");
    }
    let parsed;
    try {
      parsed = JSON.parse(values.message);
    } catch (error) {
      throw new PeerError(`bad arguments: --message is not JSON: ${error.message}`);
    }
    args.frames = decodeMessage(parsed, "--message");
  }
  if (args.role === "recv" && !RECEIVERS.has(args.type)) {
    throw new PeerError(`bad arguments: a ${args.type} socket cannot receive`);
  }
  if (args.role === "echo" && !ECHOERS.has(args.type)) {
    throw new PeerError(`bad arguments: --role echo needs one of ${[...ECHOERS].join(", ")}`);
  }
  return args;
}

function createSocket(zmq, args) {
  const classes = {
    REQ: zmq.Request,
    REP: zmq.Reply,
    DEALER: zmq.Dealer,
    ROUTER: zmq.Router,
    PUB: zmq.Publisher,
    SUB: zmq.Subscriber,
    XPUB: zmq.XPublisher,
    XSUB: zmq.XSubscriber,
    PUSH: zmq.Push,
    PULL: zmq.Pull,
    PAIR: zmq.Pair,
  };
  const socket = new classes[args.type]();
  socket.linger = args.linger;
  if (args.routingId !== undefined) {
    const id = decodeHex(args.routingId, "--routing-id");
    const text = id.toString("utf8");
    if (!Buffer.from(text, "utf8").equals(id)) {
      throw new PeerError("bad arguments: zeromq.js needs a UTF-8 --routing-id");
    }
    socket.routingId = text;
  }
  if (args.xpubVerbose) socket.verbosity = "allSubs";
  if (args.routerMandatory) socket.mandatory = true;
  // The security options, named as zeromq.js names them; unset ones stay unset.
  for (const [option, value] of Object.entries(args.security)) {
    if (value !== undefined && value !== false) socket[option] = value;
  }
  return socket;
}

/**
 * A ZAP handler (RFC 27) in this process's context: 200 for the listed PLAIN
 * users ("user=password") and CURVE client keys (Z85), 400 for anyone else.
 */
async function startZapHandler(zmq, plain, curve) {
  const handler = new zmq.Reply({ linger: 0 });
  await handler.bind("inproc://zeromq.zap.01");
  (async () => {
    try {
      for await (const [version, id, , , , mechanism, ...credentials] of handler) {
        const name = mechanism.toString();
        const allowed = name === "PLAIN" && credentials.length === 2
          ? plain.includes(`${credentials[0]}=${credentials[1]}`)
          : name === "CURVE" && credentials.length === 1
          ? curve.includes(z85(credentials[0]))
          : name === "NULL";
        await handler.send([version, id, allowed ? "200" : "400", allowed ? "OK" : "No", "", ""]);
      }
    } catch {
      // Closed when the peer exits.
    }
  })();
  return handler;
}

const Z85_DIGITS =
  "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/** Z85 (RFC 32) of a key, for comparing it with the allowed ones. */
function z85(bytes) {
  let out = "";
  for (let at = 0; at < bytes.length; at += 4) {
    let value = bytes.readUInt32BE(at);
    let group = "";
    for (let i = 0; i < 5; i++) {
      group = Z85_DIGITS[value % 85] + group;
      value = Math.floor(value / 85);
    }
    out += group;
  }
  return out;
}

/** Maps zeromq.js error codes to the ones the Python peer reports. */
function errorCode(error) {
  return typeof error?.code === "string" ? error.code : undefined;
}

class Peer {
  constructor(zmq, args) {
    this.zmq = zmq;
    this.args = args;
    this.socket = createSocket(zmq, args);
    this.events = [];
    this.eventWaiters = new Set();
    if (args.monitor) this.watchEvents();
  }

  async watchEvents() {
    try {
      for await (const event of this.socket.events) {
        this.events.push({ type: event.type, address: event.address ?? "" });
        for (const wake of this.eventWaiters) wake();
      }
    } catch {
      // The socket closed under the observer: nothing left to report.
    }
  }

  async setup() {
    const endpoints = [];
    for (const endpoint of this.args.bind) endpoints.push(await this.bind(endpoint));
    for (const endpoint of this.args.connect) {
      this.socket.connect(endpoint);
      endpoints.push(endpoint);
    }
    for (const prefix of this.args.subscribe) await this.subscribe(prefix, true);
    emit({
      event: "ready",
      runtime: "zeromq.js",
      version: "6.8.0",
      libzmq: this.zmq.version,
      type: this.args.type,
      pid: process.pid,
      endpoints,
    });
  }

  async bind(endpoint) {
    if (endpoint.startsWith("tcp://") && endpoint.endsWith(":0")) {
      endpoint = endpoint.slice(0, -2) + ":*";
    }
    await this.socket.bind(endpoint);
    return this.socket.lastEndpoint;
  }

  async subscribe(prefix, on) {
    if (this.args.type === "SUB") {
      if (on) this.socket.subscribe(prefix);
      else this.socket.unsubscribe(prefix);
    } else if (this.args.type === "XSUB") {
      this.socket.sendTimeout = this.args.timeout;
      await this.socket.send(Buffer.concat([Buffer.from([on ? 1 : 0]), prefix]));
    } else {
      throw new PeerError(`a ${this.args.type} socket cannot subscribe`);
    }
  }

  /** Resolves to the frames, or null when nothing arrived within timeoutMs. */
  async receive(timeoutMs) {
    this.socket.receiveTimeout = timeoutMs;
    try {
      return await this.socket.receive();
    } catch (error) {
      if (errorCode(error) === "EAGAIN") return null;
      throw error;
    }
  }

  /** Resolves true when sent, false on timeout; retries unroutable sends if asked. */
  async send(frames, timeoutMs, retry = false) {
    const end = Date.now() + timeoutMs;
    for (;;) {
      this.socket.sendTimeout = Math.max(0, end - Date.now());
      try {
        await this.socket.send(frames);
        return true;
      } catch (error) {
        const code = errorCode(error);
        if (code === "EAGAIN") return false;
        if (!(retry && code === "EHOSTUNREACH") || Date.now() >= end) throw error;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
  }

  /** Resolves true when it timed out before an event of type `until` was seen. */
  async collectEvents(until, timeoutMs) {
    if (!this.args.monitor) throw new PeerError("events need --monitor");
    const seen = () =>
      until === undefined ||
      this.events.some((e) => e.type === until || e.type.startsWith(`${until}:`));
    if (seen()) return false;
    return await new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.eventWaiters.delete(wake);
        resolve(true);
      }, timeoutMs);
      const wake = () => {
        if (!seen()) return;
        clearTimeout(timer);
        this.eventWaiters.delete(wake);
        resolve(false);
      };
      this.eventWaiters.add(wake);
    });
  }

  async reportOne() {
    const frames = await this.receive(this.args.timeout);
    if (frames === null) {
      await this.close();
      finish(3, { event: "timeout", op: "recv" });
      return false;
    }
    emit({ event: "recv", frames: frames.map(encodeFrame) });
    return true;
  }

  /** Runs the role; resolves true when the peer should close and exit 0. */
  async run() {
    const { role, count } = this.args;
    if (role === "script") return await this.runScript();
    if (role === "echo") {
      for (let handled = 0; count === 0 || handled < count; handled++) {
        const frames = await this.receive(-1);
        emit({ event: "recv", frames: frames.map(encodeFrame) });
        await this.send(frames, this.args.timeout);
      }
    } else if (role === "send") {
      for (let index = 0; index < count; index++) {
        if (index > 0 && this.args.interval > 0) {
          await new Promise((resolve) => setTimeout(resolve, this.args.interval));
        }
        if (!(await this.send(this.args.frames, this.args.timeout))) {
          await this.close();
          finish(3, { event: "timeout", op: "send", index });
          return false;
        }
        if (this.args.type === "REQ" && !(await this.reportOne())) return false;
      }
      emit({ event: "sent", count });
    } else if (role === "recv") {
      for (let received = 0; count === 0 || received < count; received++) {
        if (!(await this.reportOne())) return false;
      }
    }
    emit({ event: "done" });
    return true;
  }

  async runScript() {
    const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
    // libzmq only attaches new connections (and sends a SUB's subscriptions
    // over them) when the application touches the socket, as a real event
    // loop would; zeromq.js does not while no receive is pending, so touch it.
    const touch = setInterval(() => {
      if (!this.socket.closed) void this.socket.readable;
    }, 20);
    touch.unref();
    for await (const raw of lines) {
      const line = raw.trim();
      if (line === "") continue;
      let command;
      try {
        command = JSON.parse(line);
      } catch (error) {
        emit({ event: "error", message: `command is not JSON: ${error.message}` });
        continue;
      }
      if (command?.op === "exit") {
        // The test has asserted everything it needed; lingering on a
        // connection to a peer it already closed only costs time.
        this.socket.linger = 0;
        emit({ event: "bye" });
        return true;
      }
      try {
        if (command === null || typeof command !== "object" || Array.isArray(command)) {
          throw new PeerError("a command is a JSON object");
        }
        emit(await this.execute(command));
      } catch (error) {
        emit({ event: "error", message: error.message, code: errorCode(error) ?? null });
      }
    }
    return true; // stdin closed: the driving test went away
  }

  async execute(command) {
    const op = command.op;
    const timeout = command.timeout ?? this.args.timeout;
    if (!Number.isInteger(timeout)) throw new PeerError(`${op}: timeout must be an integer (ms)`);
    switch (op) {
      case "send": {
        const frames = decodeMessage(command.frames, "send.frames");
        if (!(await this.send(frames, timeout, Boolean(command.retry)))) {
          return { event: "timeout", op: "send" };
        }
        return { event: "sent" };
      }
      case "recv": {
        const frames = await this.receive(timeout);
        if (frames === null) return { event: "timeout", op: "recv" };
        return { event: "recv", frames: frames.map(encodeFrame) };
      }
      case "subscribe":
      case "unsubscribe":
        await this.subscribe(decodeHex(command.prefix ?? "", `${op}.prefix`), op === "subscribe");
        return { event: "ok" };
      case "bind":
      case "unbind":
      case "connect":
      case "disconnect": {
        let endpoint = command.endpoint;
        if (typeof endpoint !== "string") throw new PeerError(`${op}: endpoint must be a string`);
        if (op === "bind") endpoint = await this.bind(endpoint);
        else if (op === "unbind") await this.socket.unbind(endpoint);
        else this.socket[op](endpoint);
        return { event: "ok", endpoint };
      }
      case "events": {
        const timedOut = await this.collectEvents(command.until ?? undefined, timeout);
        return { event: "events", events: [...this.events], timedOut };
      }
      default:
        throw new PeerError(`unknown op ${JSON.stringify(op)}`);
    }
  }

  async close() {
    this.socket.close();
    // A ZAP handler's socket would keep Node (and the test waiting for it) alive.
    this.zapHandler?.close();
    // Give the monitor observer a turn to see the close before exiting.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function main(argv) {
  let args;
  try {
    args = parseCli(argv);
  } catch (error) {
    finish(2, { event: "error", message: error.message });
    return;
  }
  let zmq;
  try {
    zmq = await import("zeromq");
  } catch (error) {
    finish(2, {
      event: "error",
      message: `zeromq.js is not installed (${error.message}): run \`npm ci\` in tests/peers/node`,
    });
    return;
  }
  setTimeout(abandon, args.maxLifetime).unref();
  const isPipe = (() => {
    try {
      return fstatSync(0).isFIFO();
    } catch {
      return false;
    }
  })();
  if (args.role !== "script" && isPipe) {
    // Outside the script role stdin only signals that the driving test went away.
    process.stdin.on("data", () => {});
    process.stdin.on("end", abandon);
  }
  let peer;
  try {
    const zapHandler = args.zapAllowPlain.length > 0 || args.zapAllowCurve.length > 0
      ? await startZapHandler(zmq, args.zapAllowPlain, args.zapAllowCurve)
      : null;
    peer = new Peer(zmq, args);
    peer.zapHandler = zapHandler;
    await peer.setup();
    if (await peer.run()) {
      await peer.close();
      finish(0);
    }
  } catch (error) {
    if (peer) await peer.close().catch(() => {});
    const code = errorCode(error);
    finish(error instanceof PeerError ? 2 : 1, {
      event: "error",
      message: error.message,
      ...(code ? { code } : {}),
    });
  }
}

await main(process.argv.slice(2));
