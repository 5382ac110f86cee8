import type { Database, ToolReview } from '@maas/db';
import { type Kysely, sql } from 'kysely';
import type { z } from 'zod';
import type { Actor } from '../core/context.js';
import { AppError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { listPage } from '../core/pagination.js';
import { toIso } from '../core/time.js';
import type { CreateReviewInput, ListReviewsInput } from './schemas.js';
import { findVisibleTool, ownsTool } from './service.js';

type ReviewWithUser = ToolReview & { username: string; avatar: string | null };

function toReview(review: ReviewWithUser) {
  return {
    id: review.id,
    tool_id: review.tool_id,
    rating: review.rating,
    text: review.text,
    user: { id: review.user_id, username: review.username, avatar: review.avatar },
    created_at: toIso(review.created_at),
  };
}

function reviewsWithUser(db: Kysely<Database>) {
  return db
    .selectFrom('tool_reviews')
    .innerJoin('users', 'users.id', 'tool_reviews.user_id')
    .selectAll('tool_reviews')
    .select(['users.username', 'users.avatar']);
}

/**
 * One review per owner. The review and the tool's rating_sum / rating_count move in one
 * transaction, so the rating shown is always the exact mean of the stored reviews.
 */
export async function createReview(db: Kysely<Database>, actor: Actor, input: z.infer<typeof CreateReviewInput>) {
  const tool = await findVisibleTool(db, actor, input.tool_id);
  if (tool.author_id === actor.userId) {
    throw new AppError('FORBIDDEN', { message: 'TOOL_REVIEW_OWN_TOOL', details: { reason: 'author' } });
  }
  // Only a buyer (a licence holder: a purchase, or a free tool's acquisition or first attach) reviews.
  if (!(await ownsTool(db, actor.userId, tool.id))) {
    throw new AppError('FORBIDDEN', { message: 'TOOL_REVIEW_NOT_OWNER', details: { reason: 'not_a_buyer' } });
  }

  const id = await db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('tool_reviews')
      .values({ id: newId('rev'), tool_id: tool.id, user_id: actor.userId, rating: input.rating, text: input.text })
      .onConflict((oc) => oc.columns(['tool_id', 'user_id']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) throw new AppError('CONFLICT', { message: 'TOOL_REVIEW_EXISTS' });
    await trx
      .updateTable('tools')
      .set({ rating_sum: sql`rating_sum + ${input.rating}`, rating_count: sql`rating_count + 1` })
      .where('id', '=', tool.id)
      .execute();
    return inserted.id;
  });
  return toReview(await reviewsWithUser(db).where('tool_reviews.id', '=', id).executeTakeFirstOrThrow());
}

/** Newest first; anyone who can see the tool can read its reviews. */
export async function listReviews(db: Kysely<Database>, viewer: Actor | null, input: z.infer<typeof ListReviewsInput>) {
  const tool = await findVisibleTool(db, viewer, input.tool_id);
  const rows = reviewsWithUser(db)
    .where('tool_reviews.tool_id', '=', tool.id)
    .orderBy('tool_reviews.created_at', 'desc')
    .orderBy('tool_reviews.id', 'desc');
  const count = db.selectFrom('tool_reviews').where('tool_id', '=', tool.id);
  return listPage(input, { rows, count }, toReview);
}
