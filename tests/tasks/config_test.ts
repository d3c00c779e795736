import assert from "node:assert/strict";
import { defaultRemotesPath, parseRemotes } from "../../core/tasks/remotes.ts";
import { parseScript, parseStageKey, unknownRemotes } from "../../core/tasks/script.ts";
import { ConfigError } from "../../core/tasks/yaml_source.ts";
import { ConfigFileError } from "../../core/config/yaml_schema.ts";
import { PYTHON } from "./helpers.ts";

/** Asserts `fn` throws a ConfigError whose first problem is at `line` and matches `pattern`. */
function assertConfigError(fn: () => unknown, file: string, line: number, pattern: RegExp) {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
    assert.ok(error instanceof ConfigFileError);
    assert.equal(error.line, line, error.message);
    const where = line > 0 ? `${file}:${line}: ` : `${file}: `;
    assert.ok(error.problems[0].startsWith(where), error.message);
    assert.match(error.problems[0], pattern);
    assert.equal(error.message, error.problems.join("\n"));
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
  assertConfigError(() => parseRemotes("remotes: [1, 2\n", file), file, 2, /YAML syntax/);
  assertConfigError(
    () => parseRemotes("other: 1\n", file),
    file,
    1,
    /^r\.yaml:1: remotes: is required$/,
  );
  assertConfigError(
    () => parseRemotes("remotes:\n  a:\n    host: h\n    port: 99999\n    scope: /a\n", file),
    file,
    4,
    /remotes\.a\.port: must be an integer from 1 to 65535, got '99999'/,
  );
  assertConfigError(
    () => parseRemotes("remotes:\n  a:\n    host: h\n    scope: /a\n", file),
    file,
    2,
    /remotes\.a\.port: is required/,
  );
  assertConfigError(
    () =>
      parseRemotes(
        "remotes:\n  a: {host: h, port: 1, scope: /a}\n  a: {host: h, port: 2, scope: /b}\n",
        file,
      ),
    file,
    3,
    /YAML syntax: Map keys must be unique/,
  );
  assertConfigError(
    () => parseRemotes("remotes:\n  a: {host: [x], port: 1, scope: /a}\n", file),
    file,
    2,
    /remotes\.a\.host: must be a host name or address/,
  );
  assertConfigError(() => parseRemotes("", file), file, 0, /file is empty/);
});

Deno.test("remotes: every problem at once; fields ZTL ignores are warnings", () => {
  const file = "r.yaml";
  const text = [
    "remotes:",
    "  a:",
    "    host: h",
    "    prot: 1",
    "  b: {host: h, port: 0, scope: 'x;y'}",
    "",
  ].join("\n");
  const error = (() => {
    try {
      parseRemotes(text, file, { onWarning: () => {} });
    } catch (e) {
      return e;
    }
  })();
  assert.ok(error instanceof ConfigError);
  assert.deepEqual(error.problems, [
    "r.yaml:2: remotes.a.port: is required",
    "r.yaml:2: remotes.a.scope: is required",
    "r.yaml:5: remotes.b.port: must be an integer from 1 to 65535, got '0'",
    "r.yaml:5: remotes.b.scope: must not contain ';'",
  ]);
  const warnings: string[] = [];
  const remotes = parseRemotes(
    "owner: ops\npublishers: {cam: {host: h, port: 2, scope: /img}}\nremotes:\n  a: {host: h, port: 1, scope: /a, scop: /b, robot: arm}\n",
    file,
    { onWarning: (w) => warnings.push(w) },
  );
  assert.equal(remotes.get("a")?.endpoint, "tcp://h:1");
  assert.deepEqual(warnings, [
    "r.yaml:1: owner: unknown field, ignored (expected one of: remotes, publishers)",
    "r.yaml:4: remotes.a.scop: unknown field, ignored (did you mean 'scope'?)",
    "r.yaml:4: remotes.a.robot: unknown field, ignored (expected one of: host, port, scope, events, serverKey)",
  ]);
});

Deno.test("remotes: read as YAML 1.1, as ZTL's PyYAML reads them", () => {
  const remotes = parseRemotes(
    "remotes:\n  old: {host: h, port: 017417, scope: /a}\n  y: {host: y, port: 1, scope: /y}\n",
    "r.yaml",
  );
  // 017417 is octal in YAML 1.1 (as in ZTL): port 7951; `y` stays a string, as in PyYAML.
  assert.equal(remotes.get("old")?.port, 7951);
  assert.equal(remotes.get("y")?.host, "y");
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
  // An empty goal is None, as ZTL sends str(None).
  assert.deepEqual(speech.components.map((c) => c.goal), ["another: test", "None"]);
  assert.equal(outro.steps[0].handlers[0].components[0].goal, "42");
  assert.deepEqual(unknownRemotes(script, new Map()), [
    "script.yaml:3: handler 'test' uses remote 'test', which is not configured",
    "script.yaml:7: handler 'speech' uses remote 'test', which is not configured",
    "script.yaml:12: handler 'test' uses remote 'test', which is not configured",
  ]);
});

Deno.test("script: bad shapes and parameters are reported as file:line, all at once", () => {
  const file = "s.yaml";
  assertConfigError(
    () => parseScript("- a\n- b\n", file),
    file,
    1,
    /\(top level\): must be a mapping of scenes to their steps/,
  );
  assertConfigError(
    () => parseScript("s:\n  step: 3\n", file),
    file,
    2,
    /s\.step: must be a mapping of handlers to their components/,
  );
  assertConfigError(
    () => parseScript("s:\n  a(wait = maybe):\n    test:\n      echo: x\n", file),
    file,
    2,
    /step 'a': 'wait' must be True or False, got 'maybe'/,
  );
  assertConfigError(
    () => parseScript("s(delay = soon):\n  a:\n    test:\n      echo: x\n", file),
    file,
    1,
    /'delay' must be a number of seconds/,
  );
  assertConfigError(
    () => parseScript("s:\n  a:\n    test:\n      echo: 'x\n", file),
    file,
    5,
    /YAML syntax: Missing closing 'quote$/,
  );
  const error = (() => {
    try {
      parseScript("s(delay = soon):\n  a(wait = maybe):\n    test: 3\n  b: [1]\n", file);
    } catch (e) {
      return e;
    }
  })();
  assert.ok(error instanceof ConfigError);
  assert.deepEqual(error.problems, [
    "s.yaml:1: scene 's': 'delay' must be a number of seconds, got 'soon'",
    "s.yaml:2: step 'a': 'wait' must be True or False, got 'maybe'",
    's.yaml:3: ["s(delay = soon)"]["a(wait = maybe)"].test: must be a mapping of components to their goals',
    's.yaml:4: ["s(delay = soon)"].b: must be a mapping of handlers to their components',
  ]);
});

Deno.test("script: ZTL's keys load: a scene's wait is accepted, unknown parameters are warnings", () => {
  const warnings: string[] = [];
  const script = parseScript(
    "s(delay = 1, wait = False):\n  a(speed = 2):\n    test(speed = 2):\n      echo: x\n",
    "s.yaml",
    { onWarning: (w) => warnings.push(w) },
  );
  assert.equal(script.scenes[0].delay, 1);
  assert.equal(script.scenes[0].steps[0].name, "a");
  assert.equal(script.scenes[0].steps[0].handlers[0].components[0].goal, "x");
  assert.deepEqual(warnings, [
    "s.yaml:2: step 'a': unknown parameter 'speed', ignored (known: delay, wait)",
    "s.yaml:3: handler 'test': unknown parameter 'speed', ignored (known: remote)",
  ]);
});

Deno.test("script: goals reach the server as ZTL sends them (PyYAML, then Python's str())", async () => {
  // Every kind of plain scalar YAML 1.1 and PyYAML disagree on, and maps and lists.
  const goals: Record<string, string> = {
    bool: "yes",
    switch: "Off",
    y: "y",
    octal: "010",
    notOctal: "08",
    hex: "0x1F",
    sexagesimal: "1:30",
    float: "1.0",
    exp: "1e3",
    expSigned: "1.5e+3",
    small: "0.00001",
    big: "1e16",
    huge: "100000000000000000000001",
    inf: "-.inf",
    none: "~",
    empty: "",
    date: "2001-12-14",
    stamp: "2001-12-14t21:59:43.10-05:00",
    quoted: "'yes'",
    text: "hello world",
    map: "{a: 1, b: [yes, null, 'it''s', \"q\\\"\"], c: {d: 2.50}}",
    list: "[1, '2', three, 2001-01-02]",
  };
  const yaml = `scene:\n  step:\n    test:\n${
    Object.entries(goals).map(([k, v]) => `      ${k}: ${v}\n`).join("")
  }`;
  const python = await new Deno.Command(PYTHON, {
    args: [
      "-c",
      "import sys, json, yaml\n" +
      "goals = yaml.safe_load(sys.stdin.read())['scene']['step']['test']\n" +
      "print(json.dumps({k: str(v) for k, v in goals.items()}))",
    ],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = python.stdin.getWriter();
  await writer.write(new TextEncoder().encode(yaml));
  await writer.close();
  const { stdout, success } = await python.output();
  assert.ok(success, "python3 with PyYAML (apt-get install python3-yaml)");
  const expected = JSON.parse(new TextDecoder().decode(stdout));
  const script = parseScript(yaml, "s.yaml");
  const rendered = Object.fromEntries(
    script.scenes[0].steps[0].handlers[0].components.map((c) => [c.name, c.goal]),
  );
  assert.deepEqual(rendered, expected);
  assert.equal(rendered.bool, "True");
  assert.equal(rendered.octal, "8");
  assert.equal(rendered.none, "None");
});
