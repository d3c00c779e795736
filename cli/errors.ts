import { ZedgeError } from "../core/errors.ts";
/**
 * A failure the user can fix (bad flag, bad file, unreachable remote). The CLI
 * prints its message as one line and exits with {@link CliError.exitCode},
 * never with a stack trace.
 *
 * @example
 * ```ts
 * import { CliError } from "./errors.ts";
 * throw new CliError("remotes.yaml:3: field 'port' must be an integer");
 * ```
 */
export class CliError extends ZedgeError {
  /** Always `"cli"`. */
  readonly code: string = "cli";
  /** Process exit code to use; 2 for usage errors, 1 for everything else. */
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}
