/**
 * A deadline for every test, preloaded by the test task
 * (`deno test --preload tests/deadline.ts`). `deno test` has no time limit of
 * its own: a test that waits for something that never happens waits
 * forever, prints "has been running for over 32m0s", and the whole run is
 * lost to the CI's time limit without a failure. With this module the test
 * file fails at the deadline: the hung test and the rest of its file are
 * reported as cancelled, and the run goes on with the next file.
 *
 * The deadline is `ZEDGE_TEST_DEADLINE_S` seconds: 300 by default, ten
 * times the slowest test on a loaded two-core machine; 0 turns it off (to sit
 * in a debugger).
 *
 * Hooks rather than a wrapped `Deno.test`: a wrapper would register every
 * test from this file, and deno test would then point every failure here
 * instead of at the test.
 *
 * @example
 * ```sh
 * ZEDGE_TEST_DEADLINE_S=60 deno test --preload tests/deadline.ts -A tests/core/
 * ```
 * @module
 */

/** `ZEDGE_TEST_DEADLINE_S`, where the run may read it. */
function setting(): string | undefined {
  const variable = "ZEDGE_TEST_DEADLINE_S";
  const granted = Deno.permissions.querySync({ name: "env", variable }).state === "granted";
  return granted ? Deno.env.get(variable) : undefined;
}

/** Seconds a test may run before its file fails as hung. */
export const DEADLINE_S: number = Number(setting() ?? 300);

if (DEADLINE_S > 0) {
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  Deno.test.beforeEach(() => {
    watchdog = setTimeout(() => {
      // Thrown from a timer, so that it ends the file: a rejection inside the
      // test could not stop what the test is stuck awaiting.
      throw new Error(
        `the running test did not finish within ${DEADLINE_S} s (ZEDGE_TEST_DEADLINE_S): ` +
          "it waits for something that does not happen",
      );
    }, DEADLINE_S * 1000);
    // The watchdog alone never keeps a test alive (deno test reports a
    // test whose only pending work is its promise at once).
    Deno.unrefTimer(watchdog);
  });
  Deno.test.afterEach(() => clearTimeout(watchdog));
}
