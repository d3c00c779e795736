/**
 * `zedge keys`: CURVE key pairs in czmq's certificate format.
 *
 * ```sh
 * zedge keys generate robot            # robot.key (secret, 0600) and robot.pub
 * zedge keys generate keys/operator --force
 * zedge keys public robot.key          # prints the Z85 public key
 * ```
 *
 * @module
 */
import type { Command } from "commander";
import { CertificateError, readCertificate, writeCertificatePair } from "../core/security/mod.ts";
import { CliError } from "./errors.ts";

/**
 * Registers `zedge keys generate NAME` and `zedge keys public FILE`.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { register } from "./keys.ts";
 * register(new Command("zedge"));
 * ```
 */
export function register(program: Command): void {
  const keys = program
    .command("keys")
    .description("CURVE key pairs (czmq certificate files) for secured sockets");
  keys
    .command("generate")
    .argument("<name>", "path and name of the pair: writes NAME.key and NAME.pub")
    .option("--force", "replace an existing pair")
    .description(
      "write a new key pair: NAME.key (secret, mode 0600: give it to the one who serves or " +
        "connects with it) and NAME.pub (public: hand it to its peers)",
    )
    .action(async (name: string, options: { force?: boolean }) => {
      const { secretFile, publicFile, publicKey } = await asCliError(() =>
        writeCertificatePair(name, { force: options.force })
      );
      console.log(`wrote ${secretFile} (secret, mode 0600) and ${publicFile}`);
      console.log(`public key: ${publicKey}`);
    });
  keys
    .command("public")
    .argument("<file>", "a certificate file (NAME.key or NAME.pub)")
    .description("print the Z85 public key of a certificate (for --curve-server-key, serverKey)")
    .action(async (file: string) => {
      console.log((await asCliError(() => readCertificate(file))).publicKey);
    });
}

async function asCliError<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof CertificateError) throw new CliError(error.message);
    throw error;
  }
}
