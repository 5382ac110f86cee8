import type { Actor } from './context.js';

/** True for an admin; an anonymous viewer (null) is not one. */
export function isAdmin(actor: Actor | null): boolean {
  return actor?.role === 'admin';
}

/**
 * True when the actor is the user `ownerId` names (owner, author) or an admin. Which error a
 * refusal is (a 404 that hides the object, or a 403) stays with the caller.
 */
export function isOwnerOrAdmin(actor: Actor | null, ownerId: string): boolean {
  return actor !== null && (actor.role === 'admin' || actor.userId === ownerId);
}
