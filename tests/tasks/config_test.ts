import assert from "node:assert/strict";
import { defaultRemotesPath, parseRemotes } from "../../core/tasks/remotes.ts";
import { parseScript, parseStageKey, unknownRemotes } from "../../core/tasks/script.ts";
import { ConfigError } from "../../core/tasks/yaml_source.ts";

function assertConfigError(fn: () => unknown, file: string, line: number, pattern: RegExp) {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
    assert.equal(error.line, line, error.message);
    const where = line > 0 ? `${file}:${line}: ` : `${file}: `;
    assert.ok(error.message.startsWith(where), error.message);
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes("\n"), "one line");
    return true;
  });
}

Deno.test("remotes: ZTL's format, in file order, with optional events", () => {
  const remotes = parseRemotes(
    [
      "remotes:",
      "  test:",
      "    host: localhost",
      "    port: 7779",
      "    scope: /test",
      "  arm: {host: '::1', port: '7000', scope: /arm, events: 7001}",
      "",
    ].join("\n"),
    "remotes.yaml",
  );
  assert.deepEqual([...remotes.keys()], ["test", "arm"]);
  assert.deepEqual(remotes.get("test"), {
    name: "test",
    host: "localhost",
    port: 7779,
    scope: "/test",
    endpoint: "tcp://localhost:7779",
    line: 2,
  });
  assert.equal(remotes.get("arm")?.endpoint, "tcp://[::1]:7000");
  assert.equal(remotes.get("arm")?.events, "tcp://[::1]:7001");
});

Deno.test("remotes: every bad value is reported as file:line", () => {
  const file = "r.yaml";
  // An unterminated construct is reported where the parser finds out.
  assertConfigError(() => parseRemotes("remotes: [1, 2\n", file), file, 2, /invalid YAML/);
  assertConfigError(
    () => parseRemotes("other: 1\n", file),
    file,
    1,
    /missing top-level key 'remotes'/,
  );
  assertConfigError(
    () => parseRemotes("remotes:\n  a:\n    host: h\n    port: 99999\n    scope: /a\n", file),
    file,
    4,
    /field 'port' must be an integer from 1 to 65535, got '99999'/,
  );
  assertConfigError(
    () => parseRemotes("remotes:\n  a:\n    host: h\n    scope: /a\n", file),
    file,
    2,
    /remote 'a': missing field 'port'/,
  );
  assertConfigError(
    () => parseRemotes("remotes:\n  a:\n    host: h\n    prot: 1\n", file),
    file,
    4,
    /unknown field 'prot'/,
  );
  assertConfigError(
    () =>
      parseRemotes(
        "remotes:\n  a: {host: h, port: 1, scope: /a}\n  a: {host: h, port: 2, scope: /b}\n",
        file,
      ),
    file,
    3,
    /invalid YAML: Map keys must be unique/,
  );
  assertConfigError(
    () => parseRemotes("remotes:\n  a: {host: [x], port: 1, scope: /a}\n", file),
    file,
    2,
    /must be a single value/,
  );
  assertConfigError(() => parseRemotes("", file), file, 0, /file is empty/);
});

Deno.test("remotes: default path follows XDG_CONFIG_HOME, else HOME/.config", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.equal(
    defaultRemotesPath(env({ XDG_CONFIG_HOME: "/x", HOME: "/h" })),
    "/x/zmq-remotes.yaml",
  );
  assert.equal(defaultRemotesPath(env({ HOME: "/h" })), "/h/.config/zmq-remotes.yaml");
});

Deno.test("script keys: names with ZTL parameters", () => {
  assert.deepEqual(parseStageKey("plain"), { name: "plain", params: new Map() });
  assert.deepEqual(
    parseStageKey("step one(delay = 2, wait = False)"),
    { name: "step one", params: new Map([["delay", "2"], ["wait", "False"]]) },
  );
  assert.match(parseStageKey("x(delay)") as string, /name = value/);
  assert.match(parseStageKey("x(delay = 1") as string, /must end with '\)'/);
});

Deno.test("script: scenes, steps, handlers and components in order with parameters", () => {
  const script = parseScript(
    [
      "intro(delay = 1):",
      "  first step:",
      "    test:",
      "      print: test me",
      "      sleep(wait = False): 5",
      "  second step(delay = 0.5, wait = no):",
      "    speech(remote = test):",
      "      echo: 'another: test'",
      "      echo2:",
      "outro:",
      "  only:",
      "    test:",
      "      echo: 42",
      "",
    ].join("\n"),
    "script.yaml",
  );
  const [intro, outro] = script.scenes;
  assert.equal(intro.name, "intro");
  assert.equal(intro.delay, 1);
  assert.deepEqual(intro.steps.map((s) => [s.name, s.delay, s.wait]), [
    ["first step", 0, true],
    ["second step", 0.5, false],
  ]);
  assert.deepEqual(intro.steps[0].handlers[0].components, [
    { name: "print", goal: "test me", delay: 0, wait: true, line: 4 },
    { name: "sleep", goal: "5", delay: 0, wait: false, line: 5 },
  ]);
  const speech = intro.steps[1].handlers[0];
  assert.deepEqual([speech.name, speech.remote, speech.line], ["speech", "test", 7]);
  assert.deepEqual(speech.components.map((c) => c.goal), ["another: test", ""]);
  assert.equal(outro.steps[0].handlers[0].components[0].goal, "42");
  assert.deepEqual(unknownRemotes(script, new Map()), [
    "script.yaml:3: handler 'test' uses remote 'test', which is not configured",
    "script.yaml:7: handler 'speech' uses remote 'test', which is not configured",
    "script.yaml:12: handler 'test' uses remote 'test', which is not configured",
  ]);
});

Deno.test("script: bad shapes and parameters are reported as file:line", () => {
  const file = "s.yaml";
  assertConfigError(
    () => parseScript("- a\n- b\n", file),
    file,
    1,
    /the script \(scenes\) must be a map/,
  );
  assertConfigError(
    () => parseScript("s:\n  step: 3\n", file),
    file,
    2,
    /step 'step' \(handlers\) must be a map/,
  );
  assertConfigError(
    () => parseScript("s:\n  a:\n    test:\n      echo: [1, 2]\n", file),
    file,
    4,
    /goal of handler 'test' \[echo\] must be a single value/,
  );
  assertConfigError(
    () => parseScript("s:\n  a(wait = maybe):\n    test:\n      echo: x\n", file),
    file,
    2,
    /'wait' must be True or False, got 'maybe'/,
  );
  assertConfigError(
    () => parseScript("s(delay = soon):\n  a:\n    test:\n      echo: x\n", file),
    file,
    1,
    /'delay' must be a number of seconds/,
  );
  assertConfigError(
    () => parseScript("s:\n  a:\n    test(speed = 2):\n      echo: x\n", file),
    file,
    3,
    /unknown parameter 'speed' \(allowed: remote\)/,
  );
  assertConfigError(
    () => parseScript("s:\n  a:\n    test:\n      echo: 'x\n", file),
    file,
    5,
    /invalid YAML: Missing closing 'quote$/,
  );
});
