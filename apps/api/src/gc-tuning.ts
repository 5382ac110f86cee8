import v8 from 'node:v8';

/**
 * Turns off V8's allocation-site pretenuring for this process (issue 18). Call it once, first
 * thing, in every server process (main.ts, the bench's gateway).
 *
 * Why: V8 starts allocating an allocation site's objects straight into the old generation once
 * most of them have outlived a young collection, and it drops that decision only after a full
 * collection that finds little of the old generation alive. Our old generation is mostly live
 * code, schemas and caches (about 90 MB), so once a burst (requests queued on the pool) has made a
 * request's database rows look long-lived, the decision sticks. From then on every row is born old
 * and dies old, and until a full collection finds it dead it keeps its young strings and dates
 * alive, so each young collection copies and promotes them. Measured on `GET /api/v1/models?limit=20`
 * at 32 connections: young collections took 7 ms every 45 ms with pretenuring and 2 ms without,
 * and the bytes promoted per request fell from about 20 KB to about 4 KB (docs/benchmarks.md).
 * Objects that do live long are still promoted, after surviving two young collections.
 */
export function tuneGarbageCollection(): void {
  v8.setFlagsFromString('--no-allocation-site-pretenuring');
}
