/**
 * zedge against real libzmq (pyzmq and zeromq.js) for publish-subscribe:
 * PUB and XPUB to SUB and XSUB, zedge on either end, either end binding —
 * prefix filtering, unsubscribing, and the (un)subscription messages an XPUB
 * sees. The conversations are in cases.ts.
 *
 * @module
 */
import { registerMatrix } from "./matrix.ts";
import { RUNTIMES } from "./libzmq_peer.ts";
import { peerSides } from "./sides.ts";
import { zedgeSides } from "./zedge_side.ts";

const CASE_NAMES = ["PUB-SUB", "PUB-XSUB", "XPUB-SUB", "XPUB-XSUB"];

for (const runtime of RUNTIMES) registerMatrix(CASE_NAMES, zedgeSides, peerSides(runtime));
