import type { Database, Post, PostComment, PostsTable } from '@maas/db';
import { type Kysely, sql, type Updateable } from 'kysely';
import type { z } from 'zod';
import type { Actor } from '../core/context.js';
import { isForeignKeyViolation } from '../core/db-errors.js';
import { AppError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { containsPattern } from '../core/like.js';
import { isAdmin, isOwnerOrAdmin } from '../core/ownership.js';
import { listPage, PageTemplate } from '../core/pagination.js';
import type { PlaceholderOf } from '../core/query-template.js';
import { toIso } from '../core/time.js';
import type { CommentRef, CreateCommentInput, CreatePostInput, ListCommentsInput, ListPostsInput, UpdatePostInput } from './schemas.js';

type PostCategory = z.infer<typeof ListPostsInput>['category'] & string;
type PostSort = z.infer<typeof ListPostsInput>['sort'];
type PostWithAuthor = Post & { author_username: string; author_avatar: string | null };
type CommentWithAuthor = PostComment & { author_username: string; author_avatar: string | null };

function toPost(post: PostWithAuthor) {
  return {
    id: post.id,
    title: post.title,
    content: post.content,
    category: post.category,
    tags: post.tags,
    author: { id: post.author_id, username: post.author_username, avatar: post.author_avatar },
    likes: post.likes_count,
    comments: post.comments_count,
    created_at: toIso(post.created_at),
    updated_at: toIso(post.updated_at),
    hidden: post.hidden_at !== null,
  };
}

function toComment(comment: CommentWithAuthor) {
  return {
    id: comment.id,
    post_id: comment.post_id,
    content: comment.content,
    author: { id: comment.author_id, username: comment.author_username, avatar: comment.author_avatar },
    created_at: toIso(comment.created_at),
    hidden: comment.hidden_at !== null,
  };
}

function postsWithAuthor(db: Kysely<Database>) {
  return db
    .selectFrom('posts')
    .innerJoin('users', 'users.id', 'posts.author_id')
    .selectAll('posts')
    .select(['users.username as author_username', 'users.avatar as author_avatar']);
}

function commentsWithAuthor(db: Kysely<Database>) {
  return db
    .selectFrom('post_comments')
    .innerJoin('users', 'users.id', 'post_comments.author_id')
    .selectAll('post_comments')
    .select(['users.username as author_username', 'users.avatar as author_avatar']);
}

/** Tags are a set: duplicates are dropped, first occurrence keeps its place. */
function uniqueTags(tags: string[]): string[] {
  return [...new Set(tags)];
}

/** A post the viewer may see: hidden posts exist only for admins, everyone else gets a 404. */
async function findVisiblePost(db: Kysely<Database>, viewer: Actor | null, postId: string): Promise<PostWithAuthor> {
  const post = await postsWithAuthor(db).where('posts.id', '=', postId).executeTakeFirst();
  if (!post || (post.hidden_at !== null && !isAdmin(viewer))) throw new AppError('NOT_FOUND', { message: 'POST_NOT_FOUND' });
  return post;
}

async function findEditablePost(db: Kysely<Database>, actor: Actor, postId: string): Promise<PostWithAuthor> {
  const post = await findVisiblePost(db, actor, postId);
  if (!isOwnerOrAdmin(actor, post.author_id)) throw new AppError('FORBIDDEN', { message: 'POST_NOT_AUTHOR' });
  return post;
}

/**
 * The posts list, compiled once per shape (core/query-template.ts): it is the community's hot read.
 * Whether the viewer sees hidden posts, the category, which filters are given and the sort change
 * the SQL; the filters' own values are values.
 */
const POST_PAGES = new PageTemplate(
  (
    db,
    shape: { hidden: boolean; category: PostCategory | null; tag: boolean; author: boolean; search: boolean; sort: PostSort },
    placeholder: PlaceholderOf<{ tag: string | null; author: string | null; authorLower: string | null; pattern: string | null }>,
  ) => {
    let query = db.selectFrom('posts').innerJoin('users', 'users.id', 'posts.author_id');
    if (!shape.hidden) query = query.where('posts.hidden_at', 'is', null);
    if (shape.category) query = query.where('posts.category', '=', shape.category);
    if (shape.tag) query = query.where(sql<boolean>`posts.tags @> ARRAY[${placeholder('tag')}]::text[]`);
    if (shape.author)
      query = query.where((eb) =>
        eb.or([eb('posts.author_id', '=', placeholder('author')), eb(sql`lower(users.username)`, '=', placeholder('authorLower'))]),
      );
    if (shape.search) {
      const pattern = placeholder('pattern');
      query = query.where((eb) => eb.or([eb(sql`lower(posts.title)`, 'like', pattern), eb(sql`lower(posts.content)`, 'like', pattern)]));
    }
    let rows = query.selectAll('posts').select(['users.username as author_username', 'users.avatar as author_avatar']);
    if (shape.sort === 'popular') rows = rows.orderBy('posts.likes_count', 'desc').orderBy('posts.comments_count', 'desc');
    rows = rows.orderBy('posts.created_at', 'desc').orderBy('posts.id', 'desc');
    return { rows, count: query };
  },
);

export async function listPosts(db: Kysely<Database>, viewer: Actor | null, input: z.infer<typeof ListPostsInput>) {
  const shape = {
    hidden: isAdmin(viewer),
    category: input.category ?? null,
    tag: Boolean(input.tag),
    author: Boolean(input.author),
    search: Boolean(input.search),
    sort: input.sort,
  };
  const values = {
    tag: input.tag ?? null,
    author: input.author ?? null,
    authorLower: input.author?.toLowerCase() ?? null,
    pattern: input.search ? containsPattern(input.search) : null,
  };
  return POST_PAGES.list(db, input, shape, values, toPost);
}

export async function getPost(db: Kysely<Database>, viewer: Actor | null, postId: string) {
  const post = await findVisiblePost(db, viewer, postId);
  const liked = viewer
    ? (await db
        .selectFrom('post_likes')
        .select('post_id')
        .where('post_id', '=', post.id)
        .where('user_id', '=', viewer.userId)
        .executeTakeFirst()) !== undefined
    : false;
  return { ...toPost(post), liked };
}

export async function createPost(db: Kysely<Database>, actor: Actor, input: z.infer<typeof CreatePostInput>) {
  const id = newId('post');
  await db
    .insertInto('posts')
    .values({
      id,
      author_id: actor.userId,
      title: input.title,
      content: input.content,
      category: input.category,
      tags: uniqueTags(input.tags),
    })
    .execute();
  return getPost(db, actor, id);
}

export async function updatePost(db: Kysely<Database>, actor: Actor, input: z.infer<typeof UpdatePostInput>) {
  const post = await findEditablePost(db, actor, input.post_id);
  const changes: Updateable<PostsTable> = {};
  if (input.title !== undefined) changes.title = input.title;
  if (input.content !== undefined) changes.content = input.content;
  if (input.category !== undefined) changes.category = input.category;
  if (input.tags !== undefined) changes.tags = uniqueTags(input.tags);
  if (Object.keys(changes).length > 0) {
    const updated = await db
      .updateTable('posts')
      .set({ ...changes, updated_at: new Date() })
      .where('id', '=', post.id)
      .executeTakeFirst();
    if (updated.numUpdatedRows === 0n) throw new AppError('NOT_FOUND', { message: 'POST_NOT_FOUND' });
  }
  return getPost(db, actor, post.id);
}

/** Removes the post with its likes and comments (ON DELETE CASCADE). */
export async function deletePost(db: Kysely<Database>, actor: Actor, postId: string) {
  const post = await findEditablePost(db, actor, postId);
  const deleted = await db.deleteFrom('posts').where('id', '=', post.id).executeTakeFirst();
  if (deleted.numDeletedRows === 0n) throw new AppError('NOT_FOUND', { message: 'POST_NOT_FOUND' });
  return { id: post.id, deleted: true as const };
}

/**
 * Likes are idempotent and counted exactly: the like row and the counter move in one statement.
 * ON CONFLICT makes a second like by the same user insert nothing (so add 0), and the UPDATE's
 * row lock orders concurrent likes by different users, each adding its own 1.
 */
export async function likePost(db: Kysely<Database>, actor: Actor, postId: string) {
  const post = await findVisiblePost(db, actor, postId);
  try {
    const result = await sql<{ likes_count: number }>`
      WITH inserted AS (
        INSERT INTO post_likes (post_id, user_id) VALUES (${post.id}, ${actor.userId})
        ON CONFLICT DO NOTHING
        RETURNING post_id
      )
      UPDATE posts SET likes_count = likes_count + (SELECT count(*) FROM inserted)
      WHERE id = ${post.id}
      RETURNING likes_count`.execute(db);
    const row = result.rows[0];
    if (!row) throw new AppError('NOT_FOUND', { message: 'POST_NOT_FOUND' });
    return { liked: true, likes: row.likes_count };
  } catch (error) {
    // The post was deleted between the lookup and the like.
    if (isForeignKeyViolation(error)) throw new AppError('NOT_FOUND', { message: 'POST_NOT_FOUND' });
    throw error;
  }
}

/** The mirror of likePost: removing a like that is not there changes nothing. */
export async function unlikePost(db: Kysely<Database>, actor: Actor, postId: string) {
  const post = await findVisiblePost(db, actor, postId);
  const result = await sql<{ likes_count: number }>`
    WITH removed AS (
      DELETE FROM post_likes WHERE post_id = ${post.id} AND user_id = ${actor.userId}
      RETURNING post_id
    )
    UPDATE posts SET likes_count = likes_count - (SELECT count(*) FROM removed)
    WHERE id = ${post.id}
    RETURNING likes_count`.execute(db);
  const row = result.rows[0];
  if (!row) throw new AppError('NOT_FOUND', { message: 'POST_NOT_FOUND' });
  return { liked: false, likes: row.likes_count };
}

/** Oldest first, as a conversation reads; hidden comments only for admins. */
export async function listComments(db: Kysely<Database>, viewer: Actor | null, input: z.infer<typeof ListCommentsInput>) {
  const post = await findVisiblePost(db, viewer, input.post_id);
  let query = db.selectFrom('post_comments').where('post_comments.post_id', '=', post.id);
  if (!isAdmin(viewer)) query = query.where('post_comments.hidden_at', 'is', null);
  const rows = commentsWithAuthor(db)
    .where('post_comments.post_id', '=', post.id)
    .$if(!isAdmin(viewer), (q) => q.where('post_comments.hidden_at', 'is', null))
    .orderBy('post_comments.created_at', 'asc')
    .orderBy('post_comments.id', 'asc');
  return listPage(input, { rows, count: query }, toComment);
}

/** The comment and the post's visible-comment counter move in one transaction. */
export async function createComment(db: Kysely<Database>, actor: Actor, input: z.infer<typeof CreateCommentInput>) {
  const post = await findVisiblePost(db, actor, input.post_id);
  const id = newId('cmt');
  try {
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('post_comments').values({ id, post_id: post.id, author_id: actor.userId, content: input.content }).execute();
      await trx
        .updateTable('posts')
        .set({ comments_count: sql`comments_count + 1` })
        .where('id', '=', post.id)
        .execute();
    });
  } catch (error) {
    if (isForeignKeyViolation(error)) throw new AppError('NOT_FOUND', { message: 'POST_NOT_FOUND' });
    throw error;
  }
  return toComment(await commentsWithAuthor(db).where('post_comments.id', '=', id).executeTakeFirstOrThrow());
}

/** The comment's author, the post's author and admins may delete a comment. */
export async function deleteComment(db: Kysely<Database>, actor: Actor, input: z.infer<typeof CommentRef>) {
  const post = await findVisiblePost(db, actor, input.post_id);
  const comment = await db
    .selectFrom('post_comments')
    .select(['id', 'author_id', 'hidden_at'])
    .where('id', '=', input.comment_id)
    .where('post_id', '=', post.id)
    .executeTakeFirst();
  if (!comment || (comment.hidden_at !== null && !isAdmin(actor))) throw new AppError('NOT_FOUND', { message: 'COMMENT_NOT_FOUND' });
  if (comment.author_id !== actor.userId && !isOwnerOrAdmin(actor, post.author_id)) {
    throw new AppError('FORBIDDEN', { message: 'COMMENT_DELETE_FORBIDDEN' });
  }
  await db.transaction().execute(async (trx) => {
    const removed = await trx.deleteFrom('post_comments').where('id', '=', comment.id).returning('hidden_at').executeTakeFirst();
    if (!removed) throw new AppError('NOT_FOUND', { message: 'COMMENT_NOT_FOUND' });
    // A hidden comment was already taken off the counter when it was hidden.
    if (removed.hidden_at === null) {
      await trx
        .updateTable('posts')
        .set({ comments_count: sql`comments_count - 1` })
        .where('id', '=', post.id)
        .execute();
    }
  });
  return { id: comment.id, deleted: true as const };
}

/** Admin moderation; idempotent (hiding a hidden post changes nothing). */
export async function setPostHidden(db: Kysely<Database>, admin: Actor, postId: string, hidden: boolean) {
  const updated = await db
    .updateTable('posts')
    .set(
      hidden
        ? { hidden_at: sql`coalesce(hidden_at, now())`, hidden_by: sql`coalesce(hidden_by, ${admin.userId})` }
        : { hidden_at: null, hidden_by: null },
    )
    .where('id', '=', postId)
    .returning('id')
    .executeTakeFirst();
  if (!updated) throw new AppError('NOT_FOUND', { message: 'POST_NOT_FOUND' });
  return { id: updated.id, hidden };
}

/**
 * Hides or shows a comment and moves the post's visible-comment counter only when the state
 * really changes: the `hidden_at IS [NOT] NULL` condition under the row lock makes concurrent
 * toggles count once.
 */
export async function setCommentHidden(db: Kysely<Database>, admin: Actor, commentId: string, hidden: boolean) {
  return db.transaction().execute(async (trx) => {
    const changed = await trx
      .updateTable('post_comments')
      .set(hidden ? { hidden_at: new Date(), hidden_by: admin.userId } : { hidden_at: null, hidden_by: null })
      .where('id', '=', commentId)
      .where('hidden_at', hidden ? 'is' : 'is not', null)
      .returning('post_id')
      .executeTakeFirst();
    if (changed) {
      await trx
        .updateTable('posts')
        .set({ comments_count: hidden ? sql`comments_count - 1` : sql`comments_count + 1` })
        .where('id', '=', changed.post_id)
        .execute();
    } else {
      const exists = await trx.selectFrom('post_comments').select('id').where('id', '=', commentId).executeTakeFirst();
      if (!exists) throw new AppError('NOT_FOUND', { message: 'COMMENT_NOT_FOUND' });
    }
    return { id: commentId, hidden };
  });
}
