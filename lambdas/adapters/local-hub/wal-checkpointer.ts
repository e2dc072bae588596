/**
 * WAL checkpoints off the request path: a worker thread with its own connection to the SQLite
 * file copies the write-ahead log back into the database (`wal_checkpoint(PASSIVE)`) while the
 * main connection keeps serving calls.
 *
 * Why: with SQLite's automatic checkpoint the connection that commits runs the checkpoint inside
 * that commit, and a checkpoint fsyncs the WAL and then the database file. Measured on the serve
 * benchmark (100,000 findings in 1,000 calls, `strace -T` of the server): the fsync waits grew
 * from 0.13 s in the first tenth to 1.2–1.4 s per tenth of 100 calls in the last ones (the WAL
 * of a call grows with the indexes, so checkpoints come more often), which is wall time on the
 * request path but no CPU: the server's CPU per call stayed flat while the import rate fell to
 * 0.6× and an import call's p99 was ~200 ms.
 *
 * How: after every committed write transaction the main thread calls {@link WalCheckpointer.committed}
 * (an atomic increment, no message, no system call unless the worker is waiting). The worker
 * sleeps on that counter and checkpoints once the commits since its last checkpoint have written
 * about `targetBytes` of WAL, estimated from the frame count the previous checkpoint reported.
 * A PASSIVE checkpoint copies the frames that existed when it started; frames committed meanwhile
 * keep the WAL from being restarted, so the worker repeats the checkpoint (a few times at most,
 * each one shorter) until it catches up. The main connection keeps an automatic checkpoint at a
 * larger size as a backstop, so the WAL stays bounded even if the worker falls behind or fails.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/** Slots of the shared control array. */
const COMMITS = 0;
const STOP = 1;
const STOPPED = 2;
/** 0 = the worker has not started; 1 = started (it opens the file); 2 = stopped before it started. */
const STARTED = 3;
/** Who may write: see {@link WalCheckpointer.beforeWrite}. */
const GATE = 4;
const IDLE = 0;
const WRITING = 1;
/** The main thread is writing and the worker waits to run its final round after that write. */
const WANTED = 2;
const CHECKPOINTING = 3;

/**
 * The worker's code (CommonJS, evaluated: no loader needed for TypeScript). It loads
 * better-sqlite3 from the path the main thread resolved.
 */
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const ctl = new Int32Array(workerData.control);
let db;
let gated = false;
/** Waits until the main thread is outside a write transaction and keeps it out; false on stop. */
function acquire() {
  for (;;) {
    if (Atomics.load(ctl, ${STOP}) !== 0) return false;
    let v = Atomics.compareExchange(ctl, ${GATE}, ${IDLE}, ${CHECKPOINTING});
    if (v === ${IDLE} || v === ${CHECKPOINTING}) return true;
    if (v === ${WRITING}) {
      v = Atomics.compareExchange(ctl, ${GATE}, ${WRITING}, ${WANTED});
      if (v !== ${WRITING}) continue;
    }
    // The main thread hands the gate over (CHECKPOINTING) when its write ends.
    Atomics.wait(ctl, ${GATE}, ${WANTED}, 1000);
  }
}
function release() {
  gated = false;
  Atomics.store(ctl, ${GATE}, ${IDLE});
  Atomics.notify(ctl, ${GATE});
}
try {
  // The main thread may have stopped the checkpointer before this thread started: then do not
  // open the file at all (it may be gone already).
  if (Atomics.compareExchange(ctl, ${STARTED}, 0, 1) === 0) {
    const Database = require(workerData.sqlite);
    db = new Database(workerData.file);
    db.pragma("busy_timeout = 5000"); // opening only: a PASSIVE checkpoint never waits
    db.pragma("synchronous = NORMAL");
    const pageSize = Number(db.pragma("page_size", { simple: true }));
    const targetFrames = Math.max(16, Math.round(workerData.targetBytes / pageSize));
    let seen = 0;
    let interval = workerData.initialCommits;
    for (;;) {
      Atomics.wait(ctl, ${COMMITS}, seen);
      if (Atomics.load(ctl, ${STOP}) !== 0) break;
      const now = Atomics.load(ctl, ${COMMITS});
      if (now - seen < interval) {
        Atomics.wait(ctl, ${COMMITS}, now);
        if (Atomics.load(ctl, ${STOP}) !== 0) break;
        continue;
      }
      // PASSIVE rounds copy the bulk while the main thread keeps committing; each round copies
      // the frames that existed when it started, so a second round copies what the calls of the
      // first one wrote. SQLite restarts the WAL from its beginning only at a write that starts
      // with every frame copied, which a commit during each round would always prevent: the last
      // round runs between two of the main thread's writes (the gate), copying what is left.
      const [first] = db.pragma("wal_checkpoint(PASSIVE)");
      let last = first;
      if (first.busy === 0) last = db.pragma("wal_checkpoint(PASSIVE)")[0];
      if (last.busy === 0 && acquire()) {
        gated = true;
        try {
          last = db.pragma("wal_checkpoint(PASSIVE)")[0];
        } finally {
          release();
        }
      }
      // Commits per checkpoint so that a checkpoint copies about targetFrames frames: the first
      // round's frames are those of the commits since the last checkpoint (the WAL restarted).
      const perCommit = first.log / (now - seen);
      if (perCommit > 0) interval = Math.min(10000, Math.max(1, Math.round(targetFrames / perCommit)));
      seen = now;
    }
  }
} catch (error) {
  // The main connection's automatic checkpoint (the backstop) takes over.
  console.error("shadowhub: WAL checkpoint worker stopped: " + (error && error.message ? error.message : String(error)));
} finally {
  if (gated) release();
  if (db !== undefined) db.close();
  Atomics.store(ctl, ${STOPPED}, 1);
  Atomics.notify(ctl, ${STOPPED});
  Atomics.notify(ctl, ${GATE});
}
`;

/** Options of {@link WalCheckpointer}. */
export interface WalCheckpointerOptions {
  /** The database file (not `:memory:`). */
  readonly file: string;
  /** WAL bytes to let accumulate before a checkpoint. */
  readonly targetBytes: number;
  /** Commits before the first checkpoint, before any frame count is known. @default 8 */
  readonly initialCommits?: number;
}

/** A worker thread that checkpoints the WAL of one SQLite file; see the module comment. */
export class WalCheckpointer {
  readonly #control = new Int32Array(new SharedArrayBuffer(5 * Int32Array.BYTES_PER_ELEMENT));
  readonly #worker: Worker;
  #failed = false;

  constructor(options: WalCheckpointerOptions) {
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        file: options.file,
        sqlite: createRequire(import.meta.url).resolve("better-sqlite3"),
        control: this.#control.buffer,
        targetBytes: options.targetBytes,
        initialCommits: options.initialCommits ?? 8,
      },
    });
    // Never keeps the process alive on its own; a checkpoint cut short by exit is safe (the WAL
    // stays authoritative until a checkpoint completes).
    this.#worker.unref();
    this.#worker.on("error", (error) => {
      // Said once, like the worker's own failures; the backstop checkpoint takes over.
      process.stderr.write(`shadowhub: WAL checkpoint worker failed: ${error.message}\n`);
      this.#failed = true;
      Atomics.store(this.#control, STOPPED, 1);
    });
    this.#worker.on("exit", () => {
      Atomics.store(this.#control, STOPPED, 1);
    });
  }

  /** False once the worker failed (the backstop checkpoint then does the work). */
  get running(): boolean {
    return !this.#failed && Atomics.load(this.#control, STOPPED) === 0;
  }

  /**
   * Call before a write transaction. Waits while the worker runs its last, short round of a
   * checkpoint (a few ms: the frames written since its previous round), so that the next write
   * finds the whole WAL copied and restarts it. Must be followed by {@link afterWrite}.
   */
  beforeWrite(): void {
    const c = this.#control;
    const deadline = Date.now() + 10_000;
    for (;;) {
      const v = Atomics.compareExchange(c, GATE, IDLE, WRITING);
      if (v === IDLE) return;
      // Only a worker that has stopped would never give the gate back: take it then.
      if (Atomics.load(c, STOPPED) !== 0 || Date.now() > deadline) {
        Atomics.store(c, GATE, WRITING);
        return;
      }
      Atomics.wait(c, GATE, v, 100);
    }
  }

  /** Call after a write transaction ended; `committed` when it wrote something. */
  afterWrite(committed: boolean): void {
    const c = this.#control;
    if (Atomics.compareExchange(c, GATE, WRITING, IDLE) === WANTED) {
      // The worker waits for this write to end: hand the gate over.
      Atomics.store(c, GATE, CHECKPOINTING);
      Atomics.notify(c, GATE);
    }
    if (committed) {
      Atomics.add(c, COMMITS, 1);
      Atomics.notify(c, COMMITS);
    }
  }

  /**
   * Stops the worker and waits (up to `timeoutMs`) until it closed its connection, so that the
   * caller's connection is the last one and its own close checkpoints and removes the WAL.
   */
  stop(timeoutMs = 10_000): void {
    Atomics.store(this.#control, STOP, 1);
    // Not started yet: it will see the flag and exit without opening the file; nothing to wait for.
    if (Atomics.compareExchange(this.#control, STARTED, 0, 2) === 0) return;
    Atomics.add(this.#control, COMMITS, 1);
    Atomics.notify(this.#control, COMMITS);
    Atomics.notify(this.#control, GATE);
    const deadline = Date.now() + timeoutMs;
    while (Atomics.load(this.#control, STOPPED) === 0) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      Atomics.wait(this.#control, STOPPED, 0, left);
    }
  }
}
