import v8 from 'node:v8';

/**
 * Turns off V8's allocation-site pretenuring for this process (issue 18). Call it once, first
 * thing, in every server process (main.ts, the bench's gateway).
 *
 * Why: V8 allocates objects from a site straight into the old generation once most of them have
 * outlived a young collection, and undoes that only after a full collection in which less than a
 * tenth of the old generation survives. A request's database rows can look long-lived for a while
 * (a burst that queues on the pool), and our old generation is mostly live code and schemas (about
 * 90 MB), so the decision then sticks. From then on every row is born old and dies old, and until
 * a full collection finds it dead it keeps its young strings and dates alive: each young collection
 * copies them and promotes them. Measured on `GET /api/v1/models?limit=20` at 32 connections:
 * young collections of 7 ms every 45 ms with it, 2 ms without; the rest is in docs/benchmarks.md.
 * Objects that do live long are still promoted after two young collections, as without the flag.
 */
export function tuneGarbageCollection(): void {
  v8.setFlagsFromString('--no-allocation-site-pretenuring');
}
