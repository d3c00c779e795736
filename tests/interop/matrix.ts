/**
 * Expands the interop table (cases.ts) into concrete runs: which end the
 * system under test plays, which end binds, and over which transport, and
 * runs each as a Deno test step so one failing combination is named exactly
 * and the others still run.
 *
 * @module
 */
import { CASES, type PairCase, type Payload, PAYLOADS } from "./cases.ts";
import type { SecurityProfile } from "./security.ts";
import type { Side, SideFactory, SocketSpec } from "./sides.ts";

/**
 * One concrete run of a case.
 *
 * @example
 * ```ts
 * import { CASES } from "./cases.ts";
 * import type { Variant } from "./matrix.ts";
 * const variant: Variant = { case: CASES[0], tested: "a", binder: "b", transport: "ipc" };
 * ```
 */
export interface Variant {
  case: PairCase;
  /** Which end of the case the system under test plays. */
  tested: "a" | "b";
  /** Which end binds; the other connects. */
  binder: "a" | "b";
  transport: "tcp" | "ipc";
  /** A CURVE or PLAIN run: the mechanism, and which end is its server. */
  security?: { profile: SecurityProfile; server: "a" | "b" };
}

/**
 * All runs of the given cases: the tested implementation on either end of an
 * asymmetric pair (on `a` of a symmetric one), either end binding, over TCP;
 * cases marked `ipc` once more over ipc:// with the tested end as `a`. With a
 * security profile, every TCP run twice, each end once the server (so the
 * tested side serves and is served, binding and connecting).
 *
 * @example
 * ```ts
 * import { CASES } from "./cases.ts";
 * import { expandCases } from "./matrix.ts";
 * console.log(expandCases(CASES).length);
 * ```
 */
export function expandCases(
  cases: readonly PairCase[],
  profile?: SecurityProfile,
): Variant[] {
  const variants: Variant[] = [];
  for (const pairCase of cases) {
    const symmetric = pairCase.a.type === pairCase.b.type;
    for (const tested of symmetric ? ["a"] as const : ["a", "b"] as const) {
      for (const binder of ["a", "b"] as const) {
        if (profile === undefined) {
          variants.push({ case: pairCase, tested, binder, transport: "tcp" });
          continue;
        }
        for (const server of ["a", "b"] as const) {
          variants.push({
            case: pairCase,
            tested,
            binder,
            transport: "tcp",
            security: { profile, server },
          });
        }
      }
    }
    if (pairCase.ipc && profile === undefined) {
      for (const binder of ["a", "b"] as const) {
        variants.push({ case: pairCase, tested: "a", binder, transport: "ipc" });
      }
    }
  }
  return variants;
}

/**
 * The step name of a run, e.g. "zedge REQ → pyzmq REP · pyzmq binds · tcp".
 *
 * @example
 * ```ts
 * import { CASES } from "./cases.ts";
 * import { variantName } from "./matrix.ts";
 * variantName({ case: CASES[0], tested: "b", binder: "a", transport: "tcp" }, "zedge", "pyzmq");
 * // "pyzmq REQ → zedge REP · pyzmq binds · tcp"
 * ```
 */
export function variantName(variant: Variant, tested: string, reference: string): string {
  const label = (end: "a" | "b") => (end === variant.tested ? tested : reference);
  const { a, b } = variant.case;
  const extra = variant.case.name.includes(" ")
    ? ` (${variant.case.name.slice(variant.case.name.indexOf(" ") + 1)})`
    : "";
  const security = variant.security === undefined
    ? ""
    : ` · ${variant.security.profile.name}, ${label(variant.security.server)} serves`;
  return `${label("a")} ${a.type} → ${label("b")} ${b.type}${extra} · ` +
    `${label(variant.binder)} binds · ${variant.transport}${security}`;
}

/** A fresh ipc:// endpoint in the temp directory, and its file (removed afterwards). */
function ipcEndpoint(): { endpoint: string; path: string } {
  const dir = Deno.env.get("TMPDIR") ?? "/tmp";
  const path = `${dir}/zedge-interop-${crypto.randomUUID().slice(0, 8)}.sock`;
  return { endpoint: `ipc://${path}`, path };
}

/**
 * Runs one variant: opens the binding end, connects the other to its
 * resolved endpoint, runs the conversation, and closes both ends whatever
 * happened.
 *
 * @example
 * ```ts
 * import { CASES } from "./cases.ts";
 * import { expandCases, runVariant } from "./matrix.ts";
 * import { peerSides } from "./sides.ts";
 * await runVariant(expandCases(CASES)[0], peerSides("pyzmq"), peerSides("zeromq.js"));
 * ```
 */
export async function runVariant(
  variant: Variant,
  tested: SideFactory,
  reference: SideFactory,
  payloads: readonly Payload[] = PAYLOADS,
): Promise<void> {
  const factory = (end: "a" | "b") => (end === variant.tested ? tested : reference);
  const connector = variant.binder === "a" ? "b" : "a";
  const ipc = variant.transport === "ipc" ? ipcEndpoint() : null;
  const opened: Partial<Record<"a" | "b", Side>> = {};
  const spec = (end: "a" | "b"): SocketSpec => {
    const { security } = variant;
    if (security === undefined) return variant.case[end];
    const role = end === security.server ? security.profile.server : security.profile.client;
    return { ...variant.case[end], security: role };
  };
  try {
    const bound = await factory(variant.binder).open(spec(variant.binder), {
      bind: ipc?.endpoint ?? "tcp://127.0.0.1:0",
    });
    opened[variant.binder] = bound.side;
    const connected = await factory(connector).open(spec(connector), {
      connect: bound.endpoint,
    });
    opened[connector] = connected.side;
    await variant.case.exchange(opened.a!, opened.b!, payloads);
  } finally {
    await Promise.all([opened.a?.close(), opened.b?.close()]);
    if (ipc) await Deno.remove(ipc.path).catch(() => {});
  }
}

/**
 * Registers one Deno test per case, with one step per variant, for the
 * tested implementation against a reference one.
 *
 * @example
 * ```ts
 * import { registerMatrix } from "./matrix.ts";
 * import { peerSides } from "./sides.ts";
 * registerMatrix(["PUSH-PULL"], peerSides("pyzmq"), peerSides("zeromq.js"));
 * ```
 */
export function registerMatrix(
  caseNames: readonly string[],
  tested: SideFactory,
  reference: SideFactory,
  filter: (variant: Variant) => boolean = () => true,
  profile?: SecurityProfile,
): void {
  for (const name of caseNames) {
    const pairCase = CASES.find((c) => c.name === name);
    if (!pairCase) throw new Error(`no interop case named ${JSON.stringify(name)}`);
    const variants = expandCases([pairCase], profile).filter(filter);
    const title = profile === undefined ? name : `${profile.name} ${name}`;
    Deno.test(`interop ${tested.label} ⇄ ${reference.label}: ${title}`, async (t) => {
      for (const variant of variants) {
        await t.step(variantName(variant, tested.label, reference.label), async () => {
          await runVariant(variant, tested, reference);
        });
      }
    });
  }
}
