/**
 * zedge against real libzmq (pyzmq and zeromq.js) for PUSH→PULL and
 * PAIR↔PAIR, zedge on either end, either end binding, over TCP and ipc://.
 * The conversations are in cases.ts.
 *
 * @module
 */
import { registerMatrix } from "./matrix.ts";
import { RUNTIMES } from "./libzmq_peer.ts";
import { peerSides } from "./sides.ts";
import { zedgeSides } from "./zedge_side.ts";

for (const runtime of RUNTIMES) {
  registerMatrix(["PUSH-PULL", "PAIR-PAIR"], zedgeSides, peerSides(runtime));
}
