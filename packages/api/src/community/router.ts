import { adminProcedure, authedProcedure, router, viewerProcedure } from '../trpc.js';
import {
  AdminCommentRef,
  Comment,
  CommentList,
  CommentRef,
  CreateCommentInput,
  CreatePostInput,
  Deleted,
  LikeResult,
  ListCommentsInput,
  ListPostsInput,
  PostDetail,
  PostList,
  PostRef,
  UpdatePostInput,
  Visibility,
} from './schemas.js';
import {
  createComment,
  createPost,
  deleteComment,
  deletePost,
  getPost,
  likePost,
  listComments,
  listPosts,
  setCommentHidden,
  setPostHidden,
  unlikePost,
  updatePost,
} from './service.js';

const tags = ['community'];
const adminTags = ['admin'];

export const communityRouter = router({
  list: viewerProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/community/posts',
        tags,
        summary: 'List community posts',
        description:
          'Paginated, newest or most liked first; filter by category, tag, author or a search of the title and text. Only admins see hidden posts.',
      },
    })
    .input(ListPostsInput)
    .output(PostList)
    .query(({ ctx, input }) => listPosts(ctx.platform.db, ctx.actor, input)),

  create: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/community/posts',
        tags,
        protect: true,
        summary: 'Write a post',
        description: 'A post with a title, a body and optional tags.',
      },
      created: true,
    })
    .input(CreatePostInput)
    .output(PostDetail)
    .mutation(({ ctx, input }) => createPost(ctx.platform.db, ctx.actor, input)),

  get: viewerProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/community/posts/{post_id}',
        tags,
        summary: 'A post',
        description: 'One post with its likes and comment count, and whether you liked it.',
      },
    })
    .input(PostRef)
    .output(PostDetail)
    .query(({ ctx, input }) => getPost(ctx.platform.db, ctx.actor, input.post_id)),

  update: authedProcedure
    .meta({
      openapi: {
        method: 'PATCH',
        path: '/community/posts/{post_id}',
        tags,
        protect: true,
        summary: 'Edit a post (author or admin)',
        description: 'Changes the title, body or tags.',
      },
    })
    .input(UpdatePostInput)
    .output(PostDetail)
    .mutation(({ ctx, input }) => updatePost(ctx.platform.db, ctx.actor, input)),

  delete: authedProcedure
    .meta({
      openapi: {
        method: 'DELETE',
        path: '/community/posts/{post_id}',
        tags,
        protect: true,
        summary: 'Delete a post (author or admin)',
        description: 'Deletes the post together with its comments and likes.',
      },
    })
    .input(PostRef)
    .output(Deleted)
    .mutation(({ ctx, input }) => deletePost(ctx.platform.db, ctx.actor, input.post_id)),

  like: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/community/posts/{post_id}/like',
        tags,
        protect: true,
        summary: 'Like a post (idempotent)',
        description: 'Liking twice counts once; the answer has the new like count.',
      },
    })
    .input(PostRef)
    .output(LikeResult)
    .mutation(({ ctx, input }) => likePost(ctx.platform.db, ctx.actor, input.post_id)),

  unlike: authedProcedure
    .meta({
      openapi: {
        method: 'DELETE',
        path: '/community/posts/{post_id}/like',
        tags,
        protect: true,
        summary: 'Remove your like (idempotent)',
        description: 'Removing a like you did not give changes nothing.',
      },
    })
    .input(PostRef)
    .output(LikeResult)
    .mutation(({ ctx, input }) => unlikePost(ctx.platform.db, ctx.actor, input.post_id)),

  comments: viewerProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/community/posts/{post_id}/comments',
        tags,
        summary: 'Comments of a post',
        description: 'Oldest first, paginated. Only admins see hidden comments.',
      },
    })
    .input(ListCommentsInput)
    .output(CommentList)
    .query(({ ctx, input }) => listComments(ctx.platform.db, ctx.actor, input)),

  createComment: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/community/posts/{post_id}/comments',
        tags,
        protect: true,
        summary: 'Comment on a post',
        description: 'A comment on a visible post.',
      },
      created: true,
    })
    .input(CreateCommentInput)
    .output(Comment)
    .mutation(({ ctx, input }) => createComment(ctx.platform.db, ctx.actor, input)),

  deleteComment: authedProcedure
    .meta({
      openapi: {
        method: 'DELETE',
        path: '/community/posts/{post_id}/comments/{comment_id}',
        tags,
        protect: true,
        summary: 'Delete a comment (its author, the post author or an admin)',
        description: "Its author, the post's author or an admin may delete it.",
      },
    })
    .input(CommentRef)
    .output(Deleted)
    .mutation(({ ctx, input }) => deleteComment(ctx.platform.db, ctx.actor, input)),

  hidePost: adminProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/admin/community/posts/{post_id}/hide',
        tags: adminTags,
        protect: true,
        summary: 'Hide a post',
        description: 'Moderation: the post disappears from lists and reads for everyone but admins. Audited.',
      },
    })
    .input(PostRef)
    .output(Visibility)
    .mutation(({ ctx, input }) => setPostHidden(ctx.platform.db, ctx.actor, input.post_id, true)),

  unhidePost: adminProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/admin/community/posts/{post_id}/unhide',
        tags: adminTags,
        protect: true,
        summary: 'Show a hidden post again',
        description: 'Moderation: undoes a hide. Audited.',
      },
    })
    .input(PostRef)
    .output(Visibility)
    .mutation(({ ctx, input }) => setPostHidden(ctx.platform.db, ctx.actor, input.post_id, false)),

  hideComment: adminProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/admin/community/comments/{comment_id}/hide',
        tags: adminTags,
        protect: true,
        summary: 'Hide a comment',
        description: 'Moderation: the comment disappears for everyone but admins. Audited.',
      },
    })
    .input(AdminCommentRef)
    .output(Visibility)
    .mutation(({ ctx, input }) => setCommentHidden(ctx.platform.db, ctx.actor, input.comment_id, true)),

  unhideComment: adminProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/admin/community/comments/{comment_id}/unhide',
        tags: adminTags,
        protect: true,
        summary: 'Show a hidden comment again',
        description: 'Moderation: undoes a hide. Audited.',
      },
    })
    .input(AdminCommentRef)
    .output(Visibility)
    .mutation(({ ctx, input }) => setCommentHidden(ctx.platform.db, ctx.actor, input.comment_id, false)),
});
