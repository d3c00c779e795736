/**
 * One side of a zedge socket benchmark, played by zeromq.js 6.8 (libzmq 4.3.5)
 * under Node. bench/zmq.ts starts one process per socket:
 *
 *     node bench_peer.mjs '<json config>'
 *
 * The config and the stdio protocol are the same as tests/peers/python/bench_peer.py:
 * config `{ role, endpoint?, size, warmup?, duration?, curve? }` (receivers check the first
 * message against `size`; `curve`, the server's Z85 key pair, makes binders CURVE servers
 * and connectors their clients); stdout carries one JSON
 * object per line (`{endpoint}` after a bind, `{ready}` from a subscriber,
 * `{rate, count, seconds}` from a measuring role); a publisher waits for a line
 * "go" on stdin; every role exits when stdin reaches EOF.
 *
 * @example
 * ```sh
 * node tests/peers/node/bench_peer.mjs '{"role":"pull","warmup":0.5,"duration":2}'
 * ```
 *
 * @module
 */
import * as zmq from "zeromq";

const ROLES = ["rep", "req", "push", "pull", "pub", "sub"];
// Receivers read this many messages between clock reads.
const BATCH = 256;

function fail(message) {
  process.stderr.write(`bench_peer.mjs: ${message}\n`);
  process.exit(2);
}

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

function parseConfig(argv) {
  if (argv.length !== 1) fail("usage: node bench_peer.mjs '<json config>'");
  let config;
  try {
    config = JSON.parse(argv[0]);
  } catch (error) {
    fail(`config: not valid JSON (${error.message})`);
  }
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    fail("config: must be a JSON object");
  }
  const { role } = config;
  if (!ROLES.includes(role)) {
    fail(`config.role: expected one of ${ROLES.join(", ")}, got ${JSON.stringify(role)}`);
  }
  if (["req", "push", "sub"].includes(role)) {
    const { endpoint } = config;
    if (typeof endpoint !== "string" || !endpoint.startsWith("tcp://")) {
      fail(`config.endpoint: expected a tcp:// endpoint, got ${JSON.stringify(endpoint)}`);
    }
  }
  if (!Number.isInteger(config.size) || config.size < 0 || config.size > 1 << 24) {
    fail(`config.size: expected an integer 0..16777216, got ${JSON.stringify(config.size)}`);
  }
  if (["req", "pull", "sub"].includes(role)) {
    for (const field of ["warmup", "duration"]) {
      const value = config[field];
      if (typeof value !== "number" || !(value >= 0 && value <= 600)) {
        fail(`config.${field}: expected seconds 0..600, got ${JSON.stringify(value)}`);
      }
    }
    if (config.duration <= 0) fail("config.duration: must be greater than 0");
  }
  if (config.curve !== undefined) {
    const { publicKey, secretKey } = config.curve ?? {};
    if (![publicKey, secretKey].every((key) => typeof key === "string" && key.length === 40)) {
      fail("config.curve: expected { publicKey, secretKey } as 40-character Z85 keys");
    }
  }
  return config;
}

/** Resolves on a stdin line "go"; ends the process at EOF. */
function watchStdin() {
  let buffered = "";
  let resolveGo;
  const go = new Promise((resolve) => (resolveGo = resolve));
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk) => {
    buffered += chunk;
    const lines = buffered.split("\n");
    buffered = lines.pop();
    if (lines.some((line) => line.trim() === "go")) resolveGo();
  });
  process.stdin.on("end", () => process.exit(0));
  return go;
}

async function bindRandom(sock) {
  await sock.bind("tcp://127.0.0.1:*");
  emit({ endpoint: sock.lastEndpoint });
}

function checkMessage(frames, size) {
  if (frames.length !== 1 || frames[0].length !== size) {
    const lengths = frames.map((frame) => frame.length);
    fail(`expected one frame of ${size} bytes, received frames of [${lengths}] bytes`);
  }
}

async function measureReceiver(sock, size, warmup, duration) {
  checkMessage(await sock.receive(), size);
  const started = performance.now();
  while (performance.now() - started < warmup * 1000) {
    for (let i = 0; i < BATCH; i++) await sock.receive();
  }
  const t0 = performance.now();
  let count = 0;
  for (;;) {
    for (let i = 0; i < BATCH; i++) await sock.receive();
    count += BATCH;
    const seconds = (performance.now() - t0) / 1000;
    if (seconds >= duration) return { rate: count / seconds, count, seconds };
  }
}

async function measureRoundTrips(sock, payload, warmup, duration) {
  await sock.send(payload);
  checkMessage(await sock.receive(), payload.length);
  const started = performance.now();
  while (performance.now() - started < warmup * 1000) {
    await sock.send(payload);
    await sock.receive();
  }
  const t0 = performance.now();
  let count = 0;
  for (;;) {
    await sock.send(payload);
    await sock.receive();
    count++;
    const seconds = (performance.now() - t0) / 1000;
    if (seconds >= duration) return { rate: count / seconds, count, seconds };
  }
}

async function main() {
  const config = parseConfig(process.argv.slice(2));
  const go = watchStdin();
  const payload = Buffer.alloc(config.size, "x");
  const options = { linger: 0 };
  // CURVE: binding roles serve with the server's secret key, connecting roles verify it.
  const { curve } = config;
  const server = curve
    ? { ...options, curveServer: true, curveSecretKey: curve.secretKey }
    : options;
  const client = curve
    ? (() => {
      const { publicKey, secretKey } = zmq.curveKeyPair();
      return {
        ...options,
        curveServerKey: curve.publicKey,
        curvePublicKey: publicKey,
        curveSecretKey: secretKey,
      };
    })()
    : options;
  switch (config.role) {
    case "rep": {
      const sock = new zmq.Reply(server);
      await bindRandom(sock);
      for (;;) {
        await sock.receive();
        await sock.send(payload);
      }
    }
    case "pull": {
      const sock = new zmq.Pull(server);
      await bindRandom(sock);
      emit(await measureReceiver(sock, config.size, config.warmup, config.duration));
      break;
    }
    case "pub": {
      const sock = new zmq.Publisher(server);
      await bindRandom(sock);
      await go;
      for (;;) await sock.send(payload);
    }
    case "push": {
      const sock = new zmq.Push(client);
      sock.connect(config.endpoint);
      for (;;) await sock.send(payload);
    }
    case "req": {
      const sock = new zmq.Request(client);
      sock.connect(config.endpoint);
      emit(await measureRoundTrips(sock, payload, config.warmup, config.duration));
      break;
    }
    case "sub": {
      const sock = new zmq.Subscriber(client);
      sock.subscribe();
      sock.connect(config.endpoint);
      emit({ ready: true });
      emit(await measureReceiver(sock, config.size, config.warmup, config.duration));
      break;
    }
  }
  // Let stdout drain before leaving; sockets have linger 0.
  process.stdout.write("", () => process.exit(0));
}

main().catch((error) => {
  process.stderr.write(`bench_peer.mjs: ${error?.stack ?? error}\n`);
  process.exit(1);
});
