import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTRPC } from '../client.js';
import { formatDateTime } from '../format.js';
import { enumLabel } from '../enums.js';
import { useI18n } from '../locale.js';
import { Empty, ErrorBox, Field, Pager, QueryView } from '../ui.js';

const CATEGORIES = ['discussion', 'showcase', 'question', 'announcement', 'tutorial'] as const;

export function CommunityScreen() {
  const trpc = useTRPC();
  const { t } = useI18n();
  const [page, setPage] = useState(1);
  const [search, setSearch] = useState('');
  const [sort, setSort] = useState<'latest' | 'popular'>('latest');
  const posts = useQuery({
    ...trpc.community.list.queryOptions({ page, limit: 20, sort, search: search.trim() || undefined }),
    placeholderData: keepPreviousData,
  });

  return (
    <section>
      <h1>{t('community.title')}</h1>
      <NewPost />
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <Field label={t('common.search')}>
          <input type="search" value={search} onChange={(e) => (setSearch(e.target.value), setPage(1))} />
        </Field>
        <Field label={t('common.sort')}>
          <select value={sort} onChange={(e) => setSort(e.target.value as 'latest' | 'popular')}>
            <option value="latest">{t('community.sort.latest')}</option>
            <option value="popular">{t('community.sort.popular')}</option>
          </select>
        </Field>
      </form>
      <QueryView query={posts}>
        {(list) =>
          list.data.length === 0 ? (
            <Empty />
          ) : (
            <>
              <ul className="list">
                {list.data.map((post) => (
                  <PostItem key={post.id} post={post} />
                ))}
              </ul>
              <Pager page={list.pagination.page} pages={list.pagination.pages} onPage={setPage} />
            </>
          )
        }
      </QueryView>
    </section>
  );
}

function NewPost() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { t } = useI18n();
  const [title, setTitle] = useState('');
  const [content, setContent] = useState('');
  const [category, setCategory] = useState<(typeof CATEGORIES)[number]>('discussion');
  const create = useMutation(
    trpc.community.create.mutationOptions({
      onSuccess: async () => {
        setTitle('');
        setContent('');
        await queryClient.invalidateQueries({ queryKey: trpc.community.list.pathKey() });
      },
    }),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ title, content, category });
  };
  return (
    <form className="card form" onSubmit={submit} aria-label={t('community.new')}>
      <h3>{t('community.new')}</h3>
      <Field label={t('community.postTitle')}>
        <input name="title" required maxLength={200} value={title} onChange={(e) => setTitle(e.target.value)} />
      </Field>
      <Field label={t('community.content')}>
        <textarea name="content" required rows={3} value={content} onChange={(e) => setContent(e.target.value)} />
      </Field>
      <Field label={t('common.category')}>
        <select value={category} onChange={(e) => setCategory(e.target.value as typeof category)}>
          {CATEGORIES.map((c) => (
            <option key={c} value={c}>
              {enumLabel(t, 'postCategory', c)}
            </option>
          ))}
        </select>
      </Field>
      {create.error && <ErrorBox error={create.error} />}
      <button type="submit" className="primary" disabled={create.isPending}>
        {create.isPending ? t('common.saving') : t('community.publish')}
      </button>
    </form>
  );
}

interface PostLike {
  id: string;
  title: string;
  content: string;
  category: string;
  tags: string[];
  author: { username: string };
  likes: number;
  comments: number;
  created_at: string;
}

function PostItem({ post }: { post: PostLike }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { t, locale } = useI18n();
  const [open, setOpen] = useState(false);
  const [liked, setLiked] = useState<boolean | null>(null);
  const [likes, setLikes] = useState<number | null>(null);
  const onLike = {
    onSuccess: (result: { liked: boolean; likes: number }) => {
      setLiked(result.liked);
      setLikes(result.likes);
    },
  };
  const like = useMutation(trpc.community.like.mutationOptions(onLike));
  const unlike = useMutation(trpc.community.unlike.mutationOptions(onLike));
  const detail = useQuery({ ...trpc.community.get.queryOptions({ post_id: post.id }), enabled: open });
  const isLiked = liked ?? detail.data?.liked ?? false;
  const likeError = like.error ?? unlike.error;

  return (
    <li className="card post" data-testid="post">
      <h3>{post.title}</h3>
      <p className="muted">
        <span className="badge">{enumLabel(t, 'postCategory', post.category)}</span> {t('community.by', { author: post.author.username })} ·{' '}
        {formatDateTime(post.created_at, locale)}
        {post.tags.map((tag) => (
          <span key={tag} className="tag">
            #{tag}
          </span>
        ))}
      </p>
      <p className="content">{post.content}</p>
      <div className="actions">
        <button
          type="button"
          aria-pressed={isLiked}
          disabled={like.isPending || unlike.isPending}
          onClick={() => (isLiked ? unlike : like).mutate({ post_id: post.id })}
          data-testid="like"
        >
          {isLiked ? '♥' : '♡'} {isLiked ? t('community.unlike') : t('community.like')}
        </button>
        <span data-testid="likes">{t('community.likes', { count: likes ?? post.likes })}</span>
        <button type="button" className="link" aria-expanded={open} onClick={() => setOpen(!open)}>
          {t('community.comments', { count: post.comments })}
        </button>
      </div>
      {likeError && <ErrorBox error={likeError} />}
      {open && (
        <Comments postId={post.id} onAdded={() => void queryClient.invalidateQueries({ queryKey: trpc.community.list.pathKey() })} />
      )}
    </li>
  );
}

function Comments({ postId, onAdded }: { postId: string; onAdded: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { t, locale } = useI18n();
  const [text, setText] = useState('');
  const comments = useQuery(trpc.community.comments.queryOptions({ post_id: postId, limit: 50 }));
  const add = useMutation(
    trpc.community.createComment.mutationOptions({
      onSuccess: async () => {
        setText('');
        await queryClient.invalidateQueries({ queryKey: trpc.community.comments.pathKey() });
        onAdded();
      },
    }),
  );
  return (
    <div className="comments">
      <QueryView query={comments}>
        {(list) =>
          list.data.length === 0 ? (
            <Empty />
          ) : (
            <ul>
              {list.data.map((c) => (
                <li key={c.id}>
                  <strong>{c.author.username}</strong> <span className="muted">{formatDateTime(c.created_at, locale)}</span>
                  <p>{c.content}</p>
                </li>
              ))}
            </ul>
          )
        }
      </QueryView>
      <form
        className="inline"
        onSubmit={(e) => {
          e.preventDefault();
          add.mutate({ post_id: postId, content: text });
        }}
      >
        <Field label={t('community.addComment')}>
          <input required maxLength={5000} value={text} onChange={(e) => setText(e.target.value)} />
        </Field>
        <button type="submit" disabled={add.isPending}>
          {t('community.comment')}
        </button>
      </form>
      {add.error && <ErrorBox error={add.error} />}
    </div>
  );
}
