/**
 * Durable record of which item ids are done, in an embedded `node:sqlite`
 * database (no server). The distributor writes an id once the collector has
 * ACKed it; after a crash and restart it skips those ids and re-issues every
 * other one. The collector can keep its own journal of ids it has handed to
 * `onResult`, so a redelivered result is not counted twice even across a
 * collector restart.
 *
 * Writes are batched in one transaction per ACK message; WAL mode keeps them
 * cheap and makes a killed process lose at most the batch it was writing.
 *
 * @example
 * ```ts
 * import { Journal } from "./journal.ts";
 * const dir = await Deno.makeTempDir();
 * const journal = new Journal({ path: `${dir}/run.db` });
 * journal.markDone([{ id: "a:0", type: "a" }]);
 * console.log(journal.isDone("a:0")); // true
 * journal.close();
 * ```
 * @module
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { preparePrivateFileSync } from "../security/private_file.ts";

/**
 * Options for {@link Journal}.
 *
 * @example
 * ```ts
 * import type { JournalOptions } from "./journal.ts";
 * const options: JournalOptions = { path: "/var/lib/zedge/tiles.db" };
 * ```
 */
export interface JournalOptions {
  /** Database file; created with its tables if missing. */
  path: string;
  /**
   * `"full"` fsyncs every batch (survives power loss); `"normal"` (default)
   * survives a process crash, which is what a killed distributor needs.
   */
  sync?: "full" | "normal";
}

/**
 * A set of done item ids persisted in SQLite.
 *
 * @example
 * ```ts
 * import { Journal } from "./journal.ts";
 * const dir = await Deno.makeTempDir();
 * const j = new Journal({ path: `${dir}/j.db` });
 * j.markDone([{ id: "x:1", type: "x" }]);
 * console.log(j.doneIds().size); // 1
 * j.close();
 * ```
 */
export class Journal {
  readonly #db: DatabaseSync;
  readonly #insert: StatementSync;
  readonly #lookup: StatementSync;
  #done: Set<string> | null = null;

  /** Opens (or creates) the journal database. */
  constructor(options: JournalOptions) {
    // The journal may sit in a shared directory (/tmp): never another user's file or a link,
    // and created readable by its owner alone (SQLite gives its -wal and -shm the same mode).
    const { path } = options;
    preparePrivateFileSync(path, [`${path}-wal`, `${path}-shm`, `${path}-journal`]);
    this.#db = new DatabaseSync(path);
    this.#db.exec(`PRAGMA journal_mode = WAL;`);
    this.#db.exec(`PRAGMA synchronous = ${options.sync === "full" ? "FULL" : "NORMAL"};`);
    this.#db.exec(
      `CREATE TABLE IF NOT EXISTS done_items (
         id TEXT PRIMARY KEY,
         type TEXT NOT NULL,
         at INTEGER NOT NULL
       ) WITHOUT ROWID;`,
    );
    this.#insert = this.#db.prepare(
      `INSERT OR IGNORE INTO done_items (id, type, at) VALUES (?, ?, ?)`,
    );
    this.#lookup = this.#db.prepare(`SELECT 1 AS hit FROM done_items WHERE id = ?`);
  }

  /** Every id recorded as done, loaded once and then kept in memory. */
  doneIds(): Set<string> {
    if (this.#done === null) {
      const rows = this.#db.prepare(`SELECT id FROM done_items`).all() as { id: string }[];
      this.#done = new Set(rows.map((r) => r.id));
    }
    return this.#done;
  }

  /** True when `id` is recorded as done. */
  isDone(id: string): boolean {
    if (this.#done !== null) return this.#done.has(id);
    return this.#lookup.get(id) !== undefined;
  }

  /** Records a batch of ids as done in one transaction. */
  markDone(items: readonly { id: string; type: string }[]): void {
    if (items.length === 0) return;
    const now = Date.now();
    this.#db.exec("BEGIN");
    try {
      for (const item of items) {
        this.#insert.run(item.id, item.type, now);
        this.#done?.add(item.id);
      }
      this.#db.exec("COMMIT");
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  /** Number of ids recorded as done. */
  get size(): number {
    if (this.#done !== null) return this.#done.size;
    const row = this.#db.prepare(`SELECT COUNT(*) AS n FROM done_items`).get() as { n: number };
    return Number(row.n);
  }

  /** Closes the database; further calls throw. */
  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}
