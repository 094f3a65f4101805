import type { AuditActor } from '../audit/audit.js';
import { pendingCount, runBatch, startBatch, unfinishedBatches } from '../issuance/sealing.js';
import type { IssuanceDeps } from '../issuance/service.js';

/**
 * Seals what a stock import records (Henan 三(一)3, 5: the stock is collected and sealed in one pass). `start()`, once
 * the file has validated, runs seal batches beside the import: the render workers draw while this thread records
 * rows, so the import and the sealing take about as long as the sealing alone would (bench/stock prints both ways).
 * `finish()`, after the import, seals the rest. A killed run's stock batches are finished first, so running the
 * import again ends with every certificate of the agency sealed exactly once (sealing.ts says why once).
 */
export class StockSealer {
  private importing = false;
  private beside: Promise<void> | undefined;
  private besideError: unknown;
  private sealedCount = 0;
  private failedCount = 0;

  constructor(
    private readonly deps: IssuanceDeps,
    private readonly agencyId: string,
    private readonly actor: AuditActor,
    /** Certificates sealed so far by this sealer (called as each group commits). */
    private readonly onSealed?: (sealed: number) => void,
    /** How long to wait before looking again when nothing is pending yet (ms). */
    private readonly idleMs = 250,
  ) {}

  /** Certificates sealed so far by this sealer, the batch now running included. */
  get sealed(): number {
    return this.sealedCount;
  }

  /** Seal batches beside the import from now until `finish()` or `stop()`. */
  start(): void {
    if (this.beside) return;
    this.importing = true;
    this.beside = this.whileImporting().catch((e: unknown) => {
      this.besideError = e;
    });
  }

  private async whileImporting(): Promise<void> {
    while (this.importing) {
      // A batch runs until the queue runs dry (certificates recorded meanwhile join it); no batch is started for an
      // empty queue, so a slow import does not leave a trail of empty batches in the clerk's list and the audit log.
      if ((await pendingCount(this.deps, this.agencyId)) === 0) {
        await new Promise((r) => setTimeout(r, this.idleMs));
        continue;
      }
      // A failed batch (no valid seal, a certificate that cannot be drawn) ends sealing beside the import: the
      // final batch tries once more and reports.
      if (!(await this.batches())) return;
    }
  }

  /** The stock batches a killed run left running, or a new one; false when one ended failed. */
  private async batches(): Promise<boolean> {
    const left = await unfinishedBatches(this.deps, this.agencyId, 'stock');
    const batches = left.length
      ? left
      : [await startBatch(this.deps, { agencyId: this.agencyId, trigger: 'stock', actor: this.actor })];
    let ok = true;
    for (const b of batches) {
      const base = this.sealedCount;
      const done = await runBatch(this.deps, b.id, {
        onProgress: (x) => {
          this.sealedCount = base + x.sealed - b.sealed;
          this.onSealed?.(this.sealedCount);
        },
      });
      this.sealedCount = base + done.sealed - b.sealed;
      this.failedCount += done.failed - b.failed;
      if (done.status !== 'done') ok = false;
    }
    return ok;
  }

  /** Ends sealing beside the import without sealing the rest (the import was refused or failed). */
  async stop(): Promise<void> {
    this.importing = false;
    await this.beside;
  }

  /** After the import: waits for the batch beside it, then seals everything still pending. */
  async finish(): Promise<{ sealed: number; failed: number }> {
    await this.stop();
    if (this.besideError) throw this.besideError;
    await this.batches();
    return { sealed: this.sealedCount, failed: this.failedCount };
  }
}
