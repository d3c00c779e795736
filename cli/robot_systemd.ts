import type { Command } from "commander";
/** Placeholder. */
export function registerSystemd(_robot: Command): void {}
