// Posts, likes and comments (issue 4).
import type { Generated, Insertable, Selectable } from 'kysely';
import type { NullableTimestamp, Timestamp } from './users.js';

export type PostCategory = 'discussion' | 'showcase' | 'question' | 'announcement' | 'tutorial';

export interface PostsTable {
  id: string;
  author_id: string;
  title: string;
  content: string;
  category: PostCategory;
  tags: string[];
  /** Equals the number of post_likes rows; moved in the same statement as the like. */
  likes_count: Generated<number>;
  /** Visible (not hidden) comments; moved in the same transaction as the comment. */
  comments_count: Generated<number>;
  /** Hidden by an admin: invisible to everyone but admins. */
  hidden_at: NullableTimestamp;
  hidden_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PostLikesTable {
  post_id: string;
  user_id: string;
  created_at: Timestamp;
}

export interface PostCommentsTable {
  id: string;
  post_id: string;
  author_id: string;
  content: string;
  hidden_at: NullableTimestamp;
  hidden_by: string | null;
  created_at: Timestamp;
}

export interface CommunityTables {
  posts: PostsTable;
  post_likes: PostLikesTable;
  post_comments: PostCommentsTable;
}

export type Post = Selectable<PostsTable>;
export type NewPost = Insertable<PostsTable>;
export type PostComment = Selectable<PostCommentsTable>;
