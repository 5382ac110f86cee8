/**
 * A counter that moves on every provider, model or route change made through this platform.
 * Caches of resolved routes (models/call-resolver.ts) compare it on read and drop their entries
 * when it moved, so a change is seen at once on this instance and within the caches' TTL on others.
 */
export class CatalogGeneration {
  #value = 0;

  get value(): number {
    return this.#value;
  }

  markChanged(): void {
    this.#value += 1;
  }
}

declare module '../core/platform.js' {
  interface Platform {
    /** Moves on every catalogue change made here; route caches compare it. */
    catalog: CatalogGeneration;
  }
}
