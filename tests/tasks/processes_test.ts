/**
 * The process helpers the task and pipeline tests are built on: what a
 * child wrote comes back as it wrote it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { spawn } from "./processes.ts";

Deno.test("spawn: a character split across writes comes back whole, with the other stream between", async () => {
  // "é" is two bytes; between them the child writes to stderr, in chunks of their own.
  const script = `
    const pause = () => new Promise((r) => setTimeout(r, 50));
    await Deno.stdout.write(new Uint8Array([0xc3])); await pause();
    await Deno.stderr.write(new TextEncoder().encode("between")); await pause();
    await Deno.stdout.write(new Uint8Array([0xa9, 0x0a]));
  `;
  const running = spawn(Deno.execPath(), ["eval", script], "null");
  const status = await running.status;
  assert.equal(status.code, 0);
  assert.equal(running.stdout(), "é\n");
  assert.equal(running.stderr(), "between");
});
