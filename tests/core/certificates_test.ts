/**
 * CURVE key files: `zedge keys generate` writes czmq certificates (the
 * secret one mode 0600) that pyzmq's zmq.auth reads, zedge reads pyzmq's,
 * and bad files are refused naming the file and line.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { main } from "../../cli/main.ts";
import {
  Authenticator,
  isZ85Key,
  parseCertificate,
  readCertificate,
  readPublicKeys,
  readSecretCertificate,
  resolvePublicKey,
  writeCertificatePair,
  z85Decode,
} from "../../mod.ts";
import { tempDir } from "./helpers.ts";

async function python(code: string, cwd: string): Promise<string> {
  const output = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", code],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  return new TextDecoder().decode(output.stdout).trim();
}

Deno.test("keys: `zedge keys generate NAME` writes NAME.key (0600) and NAME.pub that pyzmq reads", async () => {
  const dir = await tempDir();
  try {
    const base = join(dir, "keys", "robot");
    assert.equal(await main(["keys", "generate", base]), 0);
    assert.equal((await Deno.stat(`${base}.key`)).mode! & 0o777, 0o600);
    assert.equal(
      (await Deno.stat(`${base}.pub`)).mode! & 0o077,
      0o044,
      "the public file is readable",
    );
    const secret = await readSecretCertificate(`${base}.key`);
    const pub = await readCertificate(`${base}.pub`);
    assert.equal(pub.publicKey, secret.publicKey);
    assert.equal(pub.secretKey, null);
    const fromPython = await python(
      "import zmq.auth\n" +
        "p, s = zmq.auth.load_certificate('keys/robot.key')\n" +
        "q, _ = zmq.auth.load_certificate('keys/robot.pub')\n" +
        "print(p.decode(), s.decode(), q.decode())",
      dir,
    );
    assert.equal(fromPython, `${secret.publicKey} ${secret.secretKey} ${pub.publicKey}`);
    // A second generate would destroy the pair: refused without --force.
    assert.equal(await main(["keys", "generate", base]), 1);
    assert.equal((await readSecretCertificate(`${base}.key`)).secretKey, secret.secretKey);
    assert.equal(await main(["keys", "generate", base, "--force"]), 0);
    assert.notEqual((await readSecretCertificate(`${base}.key`)).secretKey, secret.secretKey);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("keys: certificates pyzmq writes are read, public keys resolved from files or Z85", async () => {
  const dir = await tempDir();
  try {
    await python("import zmq.auth; zmq.auth.create_certificates('.', 'server')", dir);
    const expected = await python(
      "import zmq.auth; print(zmq.auth.load_certificate('server.key_secret')[0].decode())",
      dir,
    );
    const secret = await readSecretCertificate(join(dir, "server.key_secret"));
    assert.equal(secret.publicKey, expected);
    assert.equal(await resolvePublicKey("server.key", dir), expected);
    assert.equal(await resolvePublicKey(expected), expected);
    // A directory counts its public certificates, never secret ones.
    const keys = await readPublicKeys([dir]);
    assert.deepEqual([...keys.keys()], [expected]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("keys: bad certificate files are refused with the file and line", async () => {
  assert.throws(
    () => parseCertificate('curve\n    public-key = "tooShort"\n', "a.pub"),
    /a\.pub:2: public-key: Z85 text comes in 5-character groups/,
  );
  assert.throws(() => parseCertificate("metadata\n", "b.pub"), /b\.pub: no curve\/public-key/);
  assert.throws(
    () => parseCertificate('curve\n  public-key = "x"\n', "c.pub"),
    /c\.pub:2: indent by multiples of 4/,
  );
  const dir = await tempDir();
  try {
    const { publicFile } = await writeCertificatePair(join(dir, "pub"));
    await assert.rejects(
      readSecretCertificate(publicFile),
      /is a public certificate \(no secret-key\)/,
    );
    const other = await writeCertificatePair(join(dir, "other"));
    const mixed = (await Deno.readTextFile(other.secretFile)).replace(
      /public-key = "[^"]+"/,
      `public-key = "${(await readCertificate(publicFile)).publicKey}"`,
    );
    await Deno.writeTextFile(join(dir, "mixed.key"), mixed);
    await assert.rejects(
      readCertificate(join(dir, "mixed.key")),
      /public-key is not the public key of its secret-key/,
    );
    await assert.rejects(resolvePublicKey("missing.pub", dir), /cannot read the key file/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("certificates: an allow entry that is a directory is read as one, even when it is 40 characters of Z85", async () => {
  // "/tmp/zedge-test-0123456789abcdef/clients" decodes as a key too: the
  // directory that exists wins (it was read as a key, letting nobody in).
  const base = await tempDir("zedge-k-");
  const dir = join(base, "c".repeat(40 - base.length - 1));
  assert.equal(dir.length, 40);
  await Deno.mkdir(dir);
  const pair = await writeCertificatePair(join(dir, "alice"));
  assert.ok(isZ85Key(dir), "the path must look like a key for this test to mean anything");
  assert.deepEqual([...(await readPublicKeys([dir])).keys()], [pair.publicKey]);
  // The ZAP handler's allow list reads it the same way (its socket is not needed for that).
  const decision = await new Authenticator({ curve: { allow: [dir] } }).authenticate({
    domain: "",
    address: "127.0.0.1",
    identity: new Uint8Array(0),
    mechanism: "CURVE",
    credentials: [z85Decode(pair.publicKey)],
  });
  assert.equal(decision.allowed, true, decision.reason);
});
