// The one escaping rule for untrusted text: nothing that could act on a
// terminal, the journal or a reader's eye survives, and ordinary text
// (tabs, accents, emoji, backslashes) is left as it was.
import assert from "node:assert/strict";
import { escapeUntrusted } from "../../core/logs/escape.ts";

Deno.test("escapeUntrusted: terminal escapes, C1, bidi overrides and line breaks become visible", () => {
  const attack = "\x1b]2;PWNED\x07\x1b[2J\u009b31m\r\nuser\u202Egnp.exe\u2066x\u2069\u2028!";
  const escaped = escapeUntrusted(attack);
  assert.equal(
    escaped,
    "\\x1b]2;PWNED\\x07\\x1b[2J\\x9b31m\\r\\nuser\\u202egnp.exe\\u2066x\\u2069\\u2028!",
  );
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(escaped, /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028]/);
  assert.equal(escapeUntrusted(escaped), escaped, "idempotent on its output");
});

Deno.test("escapeUntrusted: ordinary text stays, a line break may be rendered as asked", () => {
  assert.equal(
    escapeUntrusted("odom\t1.2 m · Ünïcode 🤖 C:\\path"),
    "odom\t1.2 m · Ünïcode 🤖 C:\\path",
  );
  assert.equal(escapeUntrusted("a\nb", { newline: "\n  " }), "a\n  b");
  assert.equal(escapeUntrusted("lone \ud800 surrogate"), "lone \\ud800 surrogate");
});
