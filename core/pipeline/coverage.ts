/**
 * Whether a pipeline can finish: every task type needs a worker whose
 * handler module exports a function for it (else its items wait forever),
 * a worker's `types` must be functions its module exports, and a service
 * worker's `services` likewise. The modules are imported to see what they
 * export — the same import a worker does — so a module that cannot load
 * (missing, a syntax error, a throw at top level) is reported here too, in
 * one line with its file:line:column.
 *
 * @example
 * ```ts
 * import { loadPipelineConfig } from "./config.ts";
 * import { checkHandlerCoverage } from "./coverage.ts";
 * const config = await loadPipelineConfig("examples/pipeline/pipeline.yaml");
 * const { problems } = await checkHandlerCoverage(config);
 * for (const problem of problems) console.error(problem);
 * ```
 * @module
 */
import { relative } from "node:path";
import { displayUrl, importModule, moduleLoadReason } from "../module_import.ts";
import type { PipelineConfig } from "./config.ts";
import { handlersFromModule } from "./handlers.ts";

/**
 * What {@link checkHandlerCoverage} found: `problems` make the pipeline
 * unable to run or to finish; `warnings` are modules it could not load when
 * asked to tolerate that (a distributor on a machine without the workers'
 * dependencies).
 *
 * @example
 * ```ts
 * import type { CoverageReport } from "./coverage.ts";
 * const ok = (r: CoverageReport) => r.problems.length === 0;
 * ```
 */
export interface CoverageReport {
  /** `file:line: field: problem`, in line order. */
  problems: string[];
  /** `file:line: field: …` for modules that could not be loaded (only with `tolerateLoadErrors`). */
  warnings: string[];
  /** Each handler module's exported types, by module URL (modules that loaded). */
  exports: Map<string, string[]>;
}

/**
 * Options of {@link checkHandlerCoverage}.
 *
 * @example
 * ```ts
 * import type { CoverageOptions } from "./coverage.ts";
 * const options: CoverageOptions = { tolerateLoadErrors: true };
 * ```
 */
export interface CoverageOptions {
  /**
   * A module that cannot be loaded is a warning, not a problem, and the
   * types it might serve are not counted as missing.
   */
  tolerateLoadErrors?: boolean;
  /** Checks `services` entries too (default true). */
  services?: boolean;
}

type Loaded = { ok: true; types: string[] } | { ok: false; reason: string };

/**
 * Imports every worker's (and service worker's) handler module and checks
 * that the configuration can be served (see the module documentation).
 *
 * @example
 * ```ts
 * import { parsePipelineConfig } from "./config.ts";
 * import { checkHandlerCoverage } from "./coverage.ts";
 * const config = parsePipelineConfig(
 *   "endpoints: { workers: tcp://127.0.0.1:1, acks: tcp://127.0.0.1:2, results: tcp://127.0.0.1:3 }\n" +
 *     "tasks: { square: { count: 3 } }\nworkers: [{ handlers: ./examples/pipeline/handlers.ts }]\n",
 *   `${Deno.cwd()}/p.yaml`,
 * );
 * console.log((await checkHandlerCoverage(config)).problems);
 * ```
 */
export async function checkHandlerCoverage(
  config: PipelineConfig,
  options: CoverageOptions = {},
): Promise<CoverageReport> {
  const found: { line: number; text: string }[] = [];
  const warnings: { line: number; text: string }[] = [];
  const at = (line: number | undefined, field: string, text: string) => ({
    line: line ?? 0,
    text: `${config.file}${line === undefined ? "" : `:${line}`}: ${field}: ${text}`,
  });
  const cache = new Map<string, Promise<Loaded>>();
  const load = (url: string): Promise<Loaded> => {
    let loaded = cache.get(url);
    if (loaded === undefined) {
      loaded = importModule(url).then(
        (namespace): Loaded => ({ ok: true, types: [...handlersFromModule(namespace).keys()] }),
        (error): Loaded => ({ ok: false, reason: moduleLoadReason(error) }),
      );
      cache.set(url, loaded);
    }
    return loaded;
  };
  const name = (url: string) => shortName(url, config.file);

  const workers = await Promise.all(
    config.workers.map(async (worker, i) => ({ worker, i, loaded: await load(worker.handlers) })),
  );
  for (const { worker, i, loaded } of workers) {
    const field = `workers[${i}].handlers`;
    if (!loaded.ok) {
      const report = at(
        worker.line,
        field,
        `cannot load ${name(worker.handlers)}: ${loaded.reason}`,
      );
      (options.tolerateLoadErrors ? warnings : found).push(report);
    } else if (loaded.types.length === 0) {
      found.push(at(worker.line, field, `${name(worker.handlers)} exports no function`));
    } else {
      const missing = (worker.types ?? []).filter((t) => !loaded.types.includes(t));
      if (missing.length > 0) {
        found.push(
          at(
            worker.line,
            `workers[${i}].types`,
            `${name(worker.handlers)} exports no function for ${quoteList(missing)} ` +
              `(it exports ${quoteList(loaded.types)})`,
          ),
        );
      }
    }
  }
  for (const task of config.tasks) {
    const served = workers.some(({ worker, loaded }) =>
      loaded.ok
        ? loaded.types.includes(task.type) && (worker.types ?? loaded.types).includes(task.type)
        // A module that did not load might serve it: not counted as missing.
        : worker.types === undefined || worker.types.includes(task.type)
    );
    if (served) continue;
    const offers = workers.map(({ worker, loaded }) => {
      const who = `worker '${worker.name}' (${name(worker.handlers)})`;
      if (!loaded.ok) return `${who} cannot be loaded`;
      const takes = worker.types === undefined ? "" : `, takes only ${quoteList(worker.types)}`;
      return `${who} exports ${quoteList(loaded.types)}${takes}`;
    });
    found.push(
      at(
        task.line,
        `tasks.${task.type}`,
        `no worker handles task type '${task.type}', so its items would wait forever: ${
          offers.length === 0 ? "no workers are configured" : offers.join("; ")
        }`,
      ),
    );
  }
  if (options.services !== false) {
    for (const [i, service] of config.services.entries()) {
      const loaded = await load(service.handlers);
      const field = `services[${i}].handlers`;
      if (!loaded.ok) {
        const report = at(
          service.line,
          field,
          `cannot load ${name(service.handlers)}: ${loaded.reason}`,
        );
        (options.tolerateLoadErrors ? warnings : found).push(report);
        continue;
      }
      if (loaded.types.length === 0) {
        found.push(at(service.line, field, `${name(service.handlers)} exports no function`));
        continue;
      }
      const missing = (service.services ?? []).filter((s) => !loaded.types.includes(s));
      if (missing.length > 0) {
        found.push(
          at(
            service.line,
            `services[${i}].services`,
            `${name(service.handlers)} exports no function for ${quoteList(missing)} ` +
              `(it exports ${quoteList(loaded.types)})`,
          ),
        );
      }
    }
  }
  const exports = new Map<string, string[]>();
  for (const [url, loaded] of cache) {
    const result = await loaded;
    if (result.ok) exports.set(url, result.types);
  }
  const sorted = (list: { line: number; text: string }[]) =>
    list.sort((a, b) => a.line - b.line).map((p) => p.text);
  return { problems: sorted(found), warnings: sorted(warnings), exports };
}

/** A module as the file names it: relative to the file's directory when it is below it. */
function shortName(url: string, file: string): string {
  const path = displayUrl(url);
  if (!url.startsWith("file:")) return path;
  const absolute = file.startsWith("/") ? file : `${Deno.cwd()}/${file}`;
  const from = absolute.slice(0, absolute.lastIndexOf("/"));
  const rel = relative(from, path);
  return rel.startsWith("..") ? path : `./${rel}`;
}

function quoteList(names: string[]): string {
  return names.length === 0 ? "nothing" : names.map((n) => `'${n}'`).join(", ");
}
