import type { Command } from "commander";
/** Placeholder. */
export function registerBuild(_robot: Command): void {}
