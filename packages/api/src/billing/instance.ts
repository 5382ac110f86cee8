import type { Database } from '@maas/db';
import type { Kysely } from 'kysely';
import { newId } from '../core/ids.js';
import { beat, DEAD_AFTER_MS, forgetInstance, releaseDeadInstanceHolds } from './crash-recovery.js';
import { recoverJournals } from './journal-recovery.js';
import { leasesToReclaim } from './lease-reclaim.js';
import { SettlementJournal } from './settlement-journal.js';
import type { WalletLeases } from './wallet-leases.js';

/*
 * This process as the billing tables know it: an id on its leases and reservations, a heartbeat
 * in billing_instances, and the settlement journal that keeps its answered calls until they are
 * booked. Every instance also releases the holds of instances that stopped beating.
 *
 * Timing: a beat every second; an instance silent for DEAD_AFTER_MS is taken for dead; the sweep
 * runs every SWEEP_MS. A crashed instance's holds therefore come back 20 to 25 s after its last
 * beat. An instance that merely lost the database for longer than that keeps working: its calls
 * are still booked, charged from the wallet instead of its released lease (crash-recovery.ts).
 */

export const HEARTBEAT_MS = 1_000;
export { DEAD_AFTER_MS };
const SWEEP_MS = 5_000;

export class BillingInstance {
  readonly id = newId('inst');
  readonly journal: SettlementJournal | null;
  #timers: NodeJS.Timeout[] = [];
  #beating: Promise<void> | null = null;

  constructor(
    private readonly db: Kysely<Database>,
    /** Where the settlement journal lives; null keeps no journal (nothing survives a kill). */
    private readonly journalDir: string | null,
    private readonly leases: () => WalletLeases | null,
    private readonly onError: (error: unknown, label: string) => void = () => {},
    private readonly onNotice: (message: string) => void = () => {},
  ) {
    this.journal = journalDir ? new SettlementJournal(journalDir, this.id, onError) : null;
  }

  /** Books what dead processes left in the journal directory, registers this instance, then beats and sweeps. */
  async start(): Promise<void> {
    if (this.journalDir) {
      const recovered = await recoverJournals(this.db, this.journalDir, this.onError);
      if (recovered.calls > 0) {
        this.onNotice(`booked ${recovered.calls} calls from the settlement journals of ${recovered.instances} stopped processes`);
      }
    }
    await beat(this.db, this.id);
    const heartbeat = setInterval(() => {
      this.#beating ??= this.#beat().finally(() => {
        this.#beating = null;
      });
    }, HEARTBEAT_MS);
    const sweep = setInterval(() => {
      releaseDeadInstanceHolds(this.db, DEAD_AFTER_MS)
        .then((released) => {
          if (released.leases + released.reservations > 0) {
            this.onNotice(`released ${released.leases} leases and ${released.reservations} reservations of stopped instances`);
          }
        })
        .catch((error: unknown) => this.onError(error, 'release-dead-instance-holds'));
    }, SWEEP_MS);
    heartbeat.unref();
    sweep.unref();
    this.#timers = [heartbeat, sweep];
  }

  async #beat(): Promise<void> {
    try {
      await beat(this.db, this.id);
      const leases = this.leases();
      if (!leases) return;
      const wanted = await leasesToReclaim(this.db, this.id);
      if (wanted.length > 0) await leases.reclaimRequested(wanted);
    } catch (error) {
      this.onError(error, 'billing-heartbeat');
    }
  }

  /** Stops beating; after a drain (everything booked and closed) forgets this instance. */
  async stop(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    await this.#beating;
    this.journal?.close();
    await forgetInstance(this.db, this.id).catch((error: unknown) => this.onError(error, 'forget-billing-instance'));
  }
}

declare module '../core/platform.js' {
  interface Platform {
    /** This process's identity in the billing tables, its heartbeat and its settlement journal. */
    billingInstance: BillingInstance;
  }
}
