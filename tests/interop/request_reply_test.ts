/**
 * zedge against real libzmq (pyzmq and zeromq.js) for the request-reply
 * family: REQ, REP, DEALER and ROUTER in every pairing, zedge on either end,
 * either end binding. The conversations are in cases.ts.
 *
 * @module
 */
import { registerMatrix } from "./matrix.ts";
import { RUNTIMES } from "./libzmq_peer.ts";
import { peerSides } from "./sides.ts";
import { zedgeSides } from "./zedge_side.ts";

const CASE_NAMES = [
  "REQ-REP",
  "REQ-ROUTER",
  "REQ-ROUTER generated id",
  "DEALER-REP",
  "DEALER-ROUTER",
  "DEALER-DEALER",
  "ROUTER-ROUTER",
];

for (const runtime of RUNTIMES) registerMatrix(CASE_NAMES, zedgeSides, peerSides(runtime));
