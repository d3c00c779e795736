/**
 * Z85 (RFC 32): the RFC's test vector, libzmq's documented CURVE key pairs
 * (which also checks the key derivation), agreement with pyzmq's encoder,
 * and refusals that name the problem.
 *
 * @module
 */
import assert from "node:assert/strict";
import { loadCurveCrypto, z85Decode, z85Encode } from "../../core/zmtp/mod.ts";
import { Random, testSeed } from "./random.ts";

Deno.test("z85: the RFC 32 test vector", () => {
  const bytes = new Uint8Array([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]);
  assert.equal(z85Encode(bytes), "HelloWorld");
  assert.deepEqual(z85Decode("HelloWorld"), bytes);
  assert.equal(z85Encode(new Uint8Array(0)), "");
  assert.equal(z85Encode(new Uint8Array(4)), "00000");
  assert.equal(z85Encode(new Uint8Array([0xff, 0xff, 0xff, 0xff])), "%nSc0");
});

Deno.test("z85: the key pairs in libzmq's zmq_curve(7) decode to keys that belong together", async () => {
  // From libzmq's documentation (doc/zmq_curve.txt).
  const pairs = [
    ["rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7", "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"],
    ["Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID", "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs"],
  ];
  const crypto = await loadCurveCrypto();
  for (const [publicKey, secretKey] of pairs) {
    assert.equal(z85Decode(publicKey).length, 32);
    assert.equal(z85Encode(crypto.publicKeyOf(z85Decode(secretKey))), publicKey);
    assert.equal(z85Encode(z85Decode(secretKey)), secretKey);
  }
});

Deno.test("z85: random frames round-trip and match pyzmq's encoder", async () => {
  const rng = new Random(testSeed());
  const frames = Array.from({ length: 50 }, () => rng.bytes(4 * rng.int(20)));
  for (const frame of frames) assert.deepEqual(z85Decode(z85Encode(frame)), frame);
  const hex = frames.map((f) => [...f].map((b) => b.toString(16).padStart(2, "0")).join(""));
  const output = await new Deno.Command("/usr/bin/python3", {
    args: [
      "-c",
      "import sys, zmq.utils.z85 as z\nfor h in sys.argv[1:]: print(z.encode(bytes.fromhex(h)).decode())",
      ...hex.map((h) => h === "" ? "" : h),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  const lines = new TextDecoder().decode(output.stdout).split("\n").slice(0, frames.length);
  assert.deepEqual(lines, frames.map(z85Encode));
});

Deno.test("z85: bad input is refused with what was wrong", () => {
  assert.throws(() => z85Encode(new Uint8Array(3)), /whole 4-byte groups; got 3 bytes/);
  assert.throws(() => z85Decode("Hello1"), /5-character groups; got 6 characters/);
  assert.throws(() => z85Decode('Hel"o'), /'"' at position 3 is not a Z85 character/);
  assert.throws(() => z85Decode("Hel~o"), /'~' at position 3/);
  assert.throws(() => z85Decode("#####"), /worth more than 32 bits/);
});
