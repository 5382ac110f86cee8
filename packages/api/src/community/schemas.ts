import { z } from 'zod';
import { IdOf, PathIdOf } from '../core/ids.js';
import { PageInput, pageOf } from '../core/pagination.js';
import { Timestamp } from '../core/time.js';

export const PostId = IdOf('post');
export const CommentId = IdOf('cmt');
export const PostCategory = z.enum(['discussion', 'showcase', 'question', 'announcement', 'tutorial']);
export const Tag = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'lower-case letters, digits and "-", at most 32, not starting with "-"');

export const PostAuthor = z.object({ id: z.string(), username: z.string(), avatar: z.string().nullable() });

export const Post = z
  .object({
    id: z.string(),
    title: z.string(),
    content: z.string(),
    category: PostCategory,
    tags: z.array(z.string()),
    author: PostAuthor,
    likes: z.number().int(),
    comments: z.number().int().meta({ description: 'Visible comments' }),
    created_at: Timestamp,
    updated_at: Timestamp,
    hidden: z.boolean().meta({ description: 'Hidden by an admin; only admins ever see hidden posts' }),
  })
  .meta({ id: 'Post' });

export const PostDetail = Post.extend({
  liked: z.boolean().meta({ description: 'Whether the caller likes the post; false when anonymous' }),
}).meta({ id: 'PostDetail' });

export const ListPostsInput = PageInput.extend({
  category: PostCategory.optional(),
  tag: Tag.optional(),
  search: z.string().trim().max(100).optional(),
  author: z.string().trim().min(1).max(64).optional().meta({ description: 'Author user id or username' }),
  sort: z.enum(['latest', 'popular']).default('latest'),
});
export const PostList = pageOf(Post);

const PostFields = z.object({
  title: z.string().trim().min(1).max(200),
  content: z.string().trim().min(1).max(20_000),
  category: PostCategory,
  tags: z.array(Tag).max(10),
});

export const CreatePostInput = PostFields.extend({
  category: PostCategory.default('discussion'),
  tags: PostFields.shape.tags.default([]),
}).strict();

export const PostRef = z.object({ post_id: PathIdOf('post') });
export const UpdatePostInput = PostFields.partial().extend(PostRef.shape).strict();

export const LikeResult = z.object({ liked: z.boolean(), likes: z.number().int() });

export const Comment = z
  .object({
    id: z.string(),
    post_id: z.string(),
    content: z.string(),
    author: PostAuthor,
    created_at: Timestamp,
    hidden: z.boolean(),
  })
  .meta({ id: 'PostComment' });
export const CommentList = pageOf(Comment);

export const ListCommentsInput = PageInput.extend(PostRef.shape);
export const CreateCommentInput = PostRef.extend({ content: z.string().trim().min(1).max(5000) }).strict();
export const CommentRef = PostRef.extend({ comment_id: PathIdOf('cmt') });
export const AdminCommentRef = z.object({ comment_id: PathIdOf('cmt') });

export const Deleted = z.object({ id: z.string(), deleted: z.literal(true) });
export const Visibility = z.object({ id: z.string(), hidden: z.boolean() });
