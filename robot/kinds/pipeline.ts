/**
 * The pipeline kinds: each is one role of a pipeline YAML — its
 * distributor, one worker entry, its collector, its metadata provider, its
 * service broker or one service worker entry — built by the same functions
 * `zedge pipeline …` uses. A worker in a robot stays for the next run
 * (it does not exit at END); on stop it says goodbye, so the distributor
 * hands its items to other workers at once.
 *
 * @example
 * ```ts
 * import { pipelineRunners } from "./pipeline.ts";
 * console.log(Object.keys(pipelineRunners));
 * ```
 * @module
 */
import type { PipelineConfig } from "../../core/pipeline/config.ts";
import { loadHandlers } from "../../core/pipeline/handlers.ts";
import {
  brokerFromConfig,
  collectorFromConfig,
  distributorFromConfig,
  metadataProviderFromConfig,
  serviceWorkerFromConfig,
  workerFromConfig,
} from "../../core/pipeline/roles.ts";
import type { PipelineRoleSpec } from "../spec.ts";
import type { PipelineFigures } from "../observe/figures.ts";
import {
  type ComponentKindRunner,
  ComponentLoadError,
  displayModule,
  type LoadedComponent,
  type RunningComponent,
  untilStopped,
} from "./component.ts";

/** A role object as every pipeline role is shaped. */
interface Role {
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Runs `role`: started on start, closed on stop; `run` (when given) is its
 * end; `figures` (when given) is what it reports live.
 */
function roleComponent<R extends Role>(
  make: () => Promise<R> | R,
  run?: (role: R) => Promise<unknown>,
  figures?: (role: R) => PipelineFigures,
): LoadedComponent {
  return {
    async start(): Promise<RunningComponent> {
      const role = await make();
      try {
        await role.start();
      } catch (error) {
        await role.close();
        throw error;
      }
      return {
        done: run ? run(role) : untilStopped(),
        stop: () => role.close(),
        ...(figures ? { figures: () => ({ pipeline: figures(role) }) } : {}),
      };
    },
  };
}

/** Module problems found while building a role are load errors: retrying cannot fix them. */
async function building<T>(build: () => Promise<T> | T): Promise<T> {
  try {
    return await build();
  } catch (error) {
    throw new ComponentLoadError(error instanceof Error ? error.message : String(error));
  }
}

/** A role's figures: the counts it keeps, null for what it cannot know. */
function pipelineFigures(role: string, known: Partial<PipelineFigures>): PipelineFigures {
  return {
    role,
    done: null,
    failed: null,
    retried: null,
    total: null,
    inFlight: null,
    rate: null,
    etaMs: null,
    workers: null,
    ...known,
  };
}

function configOf(spec: PipelineRoleSpec): PipelineConfig {
  return spec.maxMessageSize === undefined
    ? spec.pipeline
    : { ...spec.pipeline, maxMessageSize: spec.maxMessageSize };
}

async function checkedHandlers(
  module: string,
  wanted: string[] | undefined,
  what: string,
): Promise<string[]> {
  const handlers = await building(() => loadHandlers(module));
  const exported = [...handlers.keys()];
  const missing = (wanted ?? []).filter((name) => !handlers.has(name));
  if (missing.length > 0) {
    throw new ComponentLoadError(
      `${displayModule(module)} exports no function for ${what} ${
        missing.map((m) => `'${m}'`).join(", ")
      } (it exports: ${exported.join(", ")})`,
    );
  }
  return exported;
}

/**
 * One runner per pipeline kind.
 *
 * @example
 * ```ts
 * import { pipelineRunners } from "./pipeline.ts";
 * const runner = pipelineRunners["pipeline-worker"];
 * ```
 */
export const pipelineRunners: Record<
  PipelineRoleSpec["kind"],
  ComponentKindRunner<PipelineRoleSpec>
> = {
  "pipeline-distributor": {
    async load(spec) {
      const config = configOf(spec);
      // Building it imports the item sources (and the metadata module) now, so problems show early.
      const distributor = await building(() => distributorFromConfig(config));
      return roleComponent(() => distributor, (d) => d.run(), (d) => {
        const p = d.progress();
        return pipelineFigures(spec.kind, {
          done: p.done,
          failed: p.failed,
          retried: p.retries,
          total: p.total,
          inFlight: p.inFlight,
          rate: p.rate,
          etaMs: p.etaMs,
          workers: p.workers,
        });
      });
    },
  },
  "pipeline-collector": {
    async load(spec) {
      const config = configOf(spec);
      const collector = await building(() => collectorFromConfig(config));
      return roleComponent(() => collector, (c) => c.run());
    },
  },
  "pipeline-metadata": {
    async load(spec) {
      const config = configOf(spec);
      const provider = await building(() => metadataProviderFromConfig(config));
      return roleComponent(() => provider);
    },
  },
  "pipeline-worker": {
    async load(spec) {
      const config = configOf(spec);
      const entry = config.workers.find((w) => w.name === spec.entry)!;
      const exported = await checkedHandlers(entry.handlers, entry.types, "task type");
      const types = config.tasks.map((t) => t.type);
      if (!exported.some((name) => types.includes(name))) {
        throw new ComponentLoadError(
          `${displayModule(entry.handlers)} exports no function for any task type of ${
            displayModule(config.file)
          } (its types: ${types.join(", ")}; the module exports: ${exported.join(", ")})`,
        );
      }
      return roleComponent(
        () => workerFromConfig(config, entry, { keepRunning: true }),
        (worker) => worker.run(),
        (worker) =>
          pipelineFigures(spec.kind, { done: worker.stats.processed, failed: worker.stats.failed }),
      );
    },
  },
  "service-broker": {
    load(spec) {
      const config = configOf(spec);
      return Promise.resolve(roleComponent(
        () => brokerFromConfig(config),
        undefined,
        ({ stats }) =>
          pipelineFigures(spec.kind, {
            done: stats.replied,
            failed: stats.errors,
            retried: stats.retried,
          }),
      ));
    },
  },
  "service-worker": {
    async load(spec) {
      const config = configOf(spec);
      const entry = config.services.find((s) => s.name === spec.entry)!;
      await checkedHandlers(entry.handlers, entry.services, "service");
      return roleComponent(() => serviceWorkerFromConfig(config, entry));
    },
  },
};
