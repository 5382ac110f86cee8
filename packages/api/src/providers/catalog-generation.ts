/**
 * A counter that moves on every provider, model or route change made through this platform.
 * Caches of resolved routes (models/call-resolver.ts) compare it on read and drop their entries
 * when it moved, so a change is seen at once on this instance, and on the others as soon as the announcement
 * reaches them (within the caches' TTL when the channel is down).
 */
export class CatalogGeneration {
  #value = 0;

  /** `announce` tells the other instances (platform.invalidations) that the catalogue changed here. */
  constructor(private readonly announce: () => void = () => {}) {}

  get value(): number {
    return this.#value;
  }

  /** A change made here: seen here at once, and announced to the other instances. */
  markChanged(): void {
    this.#value += 1;
    this.announce();
  }

  /** A change another instance announced. */
  advance(): void {
    this.#value += 1;
  }
}

declare module '../core/platform.js' {
  interface Platform {
    /** Moves on every catalogue change made here; route caches compare it. */
    catalog: CatalogGeneration;
  }
}
