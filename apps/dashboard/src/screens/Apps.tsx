import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, Fragment, useState } from 'react';
import { errorMessage, useTRPC, useTRPCClient } from '../client.js';
import { formatDateTime, formatMoney } from '../format.js';
import { enumLabel } from '../enums.js';
import { useI18n } from '../locale.js';
import { navigate } from '../router.js';
import { Empty, ErrorBox, Field, Loading, Pager, QueryView } from '../ui.js';
import { AppTools } from './AppTools.js';
import { DeleteAppButton } from './AppDelete.js';
import { type Attachment, Attachments } from './Attachments.js';
import { applyToolEvent, type ToolStep } from './tool-steps.js';
import { ToolSteps } from './ToolSteps.js';

interface AppLike {
  id: string;
  name: string;
  description: string;
  model_id: string;
  status: 'running' | 'stopped';
  config: { system_prompt?: string; temperature?: number; max_tokens?: number; top_p?: number };
}

export function AppsScreen({ appId }: { appId: string | null }) {
  return appId ? <Playground appId={appId} /> : <AppList />;
}

function AppList() {
  const trpc = useTRPC();
  const { t, locale } = useI18n();
  const [page, setPage] = useState(1);
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const apps = useQuery({ ...trpc.applications.list.queryOptions({ page, limit: 20 }), placeholderData: keepPreviousData });

  return (
    <section>
      <div className="row between">
        <h1>{t('apps.title')}</h1>
        {!creating && (
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            {t('apps.new')}
          </button>
        )}
      </div>
      {creating && <AppForm onDone={() => setCreating(false)} />}
      <QueryView query={apps}>
        {(list) =>
          list.data.length === 0 ? (
            <Empty />
          ) : (
            <>
              <ul className="list">
                {list.data.map((app) =>
                  editing === app.id ? (
                    <li key={app.id}>
                      <AppForm app={app} onDone={() => setEditing(null)} />
                    </li>
                  ) : (
                    <li key={app.id} className="card" data-testid="app-item">
                      <div className="row between">
                        <div>
                          <h3>{app.name}</h3>
                          <p className="muted">
                            <span className={`badge ${app.status}`}>{enumLabel(t, 'appStatus', app.status)}</span> {app.id} ·{' '}
                            {formatDateTime(app.created_at, locale)}
                          </p>
                          {app.description && <p>{app.description}</p>}
                        </div>
                        <div className="actions">
                          <button type="button" onClick={() => setEditing(app.id)}>
                            {t('common.edit')}
                          </button>
                          <DeleteAppButton app={app} />
                          <button type="button" className="primary" onClick={() => navigate('apps', app.id)}>
                            {t('apps.open')}
                          </button>
                        </div>
                      </div>
                    </li>
                  ),
                )}
              </ul>
              <Pager page={list.pagination.page} pages={list.pagination.pages} onPage={setPage} />
            </>
          )
        }
      </QueryView>
    </section>
  );
}

/** What an application can answer with: a chat, or the media its model makes (issue 14). */
const APP_OPERATIONS: readonly string[] = ['chat', 'image_generation', 'speech', 'video_generation'];

function AppForm({ app, onDone }: { app?: AppLike; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { t } = useI18n();
  const models = useQuery({
    ...trpc.models.list.queryOptions({ limit: 100, sort: 'name' }),
    select: (list) => ({ ...list, data: list.data.filter((m) => m.operations.some((op) => APP_OPERATIONS.includes(op))) }),
  });
  const [name, setName] = useState(app?.name ?? '');
  const [description, setDescription] = useState(app?.description ?? '');
  const [modelId, setModelId] = useState(app?.model_id ?? '');
  const [systemPrompt, setSystemPrompt] = useState(app?.config.system_prompt ?? '');
  const [temperature, setTemperature] = useState(app?.config.temperature?.toString() ?? '');
  const [status, setStatus] = useState<'running' | 'stopped'>(app?.status ?? 'running');
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.applications.pathKey() });
  const create = useMutation(trpc.applications.create.mutationOptions({ onSuccess: async () => (await invalidate(), onDone()) }));
  const update = useMutation(trpc.applications.update.mutationOptions({ onSuccess: async () => (await invalidate(), onDone()) }));
  const mutation = app ? update : create;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const config = {
      ...(systemPrompt.trim() ? { system_prompt: systemPrompt } : {}),
      ...(temperature.trim() ? { temperature: Number(temperature) } : {}),
    };
    const model_id = modelId || models.data?.data[0]?.id || '';
    if (app) update.mutate({ app_id: app.id, name, description, model_id, config: { ...app.config, ...config }, status });
    else create.mutate({ name, description, model_id, config });
  };

  return (
    <form className="card form" onSubmit={submit} aria-label={app ? t('common.edit') : t('apps.new')}>
      <h3>{app ? `${t('common.edit')} ${app.name}` : t('apps.new')}</h3>
      <Field label={t('common.name')}>
        <input name="name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
      </Field>
      <Field label={t('common.description')}>
        <input name="description" maxLength={2000} value={description} onChange={(e) => setDescription(e.target.value)} />
      </Field>
      <Field label={t('apps.model')}>
        {models.isPending ? (
          <Loading />
        ) : models.isError ? (
          <ErrorBox error={models.error} />
        ) : (
          <select name="model" value={modelId || models.data.data[0]?.id || ''} onChange={(e) => setModelId(e.target.value)} required>
            {models.data.data.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label={t('apps.systemPrompt')}>
        <textarea name="system_prompt" rows={2} value={systemPrompt} onChange={(e) => setSystemPrompt(e.target.value)} />
      </Field>
      <Field label={t('apps.temperature')}>
        <input
          name="temperature"
          type="number"
          min={0}
          max={2}
          step={0.1}
          value={temperature}
          onChange={(e) => setTemperature(e.target.value)}
        />
      </Field>
      {app && (
        <Field label={t('common.status')}>
          <select value={status} onChange={(e) => setStatus(e.target.value as 'running' | 'stopped')}>
            <option value="running">{t('apps.running')}</option>
            <option value="stopped">{t('apps.stopped')}</option>
          </select>
        </Field>
      )}
      {mutation.error && <ErrorBox error={mutation.error} />}
      <div className="actions">
        <button type="submit" className="primary" disabled={mutation.isPending}>
          {mutation.isPending ? t('common.saving') : app ? t('common.save') : t('common.create')}
        </button>
        <button type="button" onClick={onDone}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}

interface Turn {
  role: 'user' | 'assistant' | 'system';
  content: string;
  attachments?: Attachment[] | undefined;
}

function Playground({ appId }: { appId: string }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const { t, locale } = useI18n();
  const app = useQuery(trpc.applications.get.queryOptions({ app_id: appId }));
  const conversations = useQuery(trpc.chat.conversations.queryOptions({ app_id: appId, limit: 50 }));
  const [conversationId, setConversationId] = useState<string | null>(null);
  const messages = useQuery({
    ...trpc.chat.messages.queryOptions({ conversation_id: conversationId ?? 'conv_x', limit: 100 }),
    enabled: conversationId !== null,
  });
  const [pending, setPending] = useState<Turn[]>([]);
  const [draft, setDraft] = useState('');
  const [streaming, setStreaming] = useState(false);
  const [streamError, setStreamError] = useState<string | null>(null);
  const [lastCost, setLastCost] = useState<string | null>(null);
  const [breakdown, setBreakdown] = useState<string | null>(null);
  const [steps, setSteps] = useState<ToolStep[]>([]);

  const send = async (event: FormEvent) => {
    event.preventDefault();
    const message = draft.trim();
    if (!message || streaming) return;
    setDraft('');
    setStreamError(null);
    setLastCost(null);
    setBreakdown(null);
    setSteps([]);
    setStreaming(true);
    setPending([
      { role: 'user', content: message },
      { role: 'assistant', content: '' },
    ]);
    let convId = conversationId;
    try {
      const events = await client.chat.stream.mutate({
        app_id: appId,
        message,
        ...(conversationId ? { conversation_id: conversationId } : {}),
      });
      for await (const ev of events) {
        if (ev.type === 'delta') {
          setPending((turns) => turns.map((turn, i) => (i === turns.length - 1 ? { ...turn, content: turn.content + ev.content } : turn)));
        } else if (ev.type === 'tool_call' || ev.type === 'tool_result') {
          // The app's tools run server-side; show each call and its result as they happen.
          setSteps((current) => applyToolEvent(current, ev));
        } else if (ev.type === 'done') {
          convId = ev.conversation_id;
          const attachments = ev.attachments;
          if (attachments) setPending((turns) => turns.map((turn, i) => (i === turns.length - 1 ? { ...turn, attachments } : turn)));
          setLastCost(t('apps.cost', { cost: formatMoney(ev.cost, locale), input: ev.tokens_used.input, output: ev.tokens_used.output }));
          if (ev.cost_breakdown) {
            setBreakdown(
              t('play.breakdown', {
                model: formatMoney(ev.cost_breakdown.model, locale),
                tools: formatMoney(ev.cost_breakdown.tools, locale),
              }),
            );
          }
        } else {
          convId = ev.conversation_id || convId;
          setStreamError(ev.error.message);
        }
      }
    } catch (error) {
      setStreamError(errorMessage(error));
    } finally {
      setStreaming(false);
      await queryClient.invalidateQueries({ queryKey: trpc.chat.conversations.pathKey() });
      void queryClient.invalidateQueries({ queryKey: trpc.billing.pathKey() });
      if (convId) {
        setConversationId(convId);
        await queryClient.invalidateQueries({ queryKey: trpc.chat.messages.pathKey() });
        await queryClient.refetchQueries({ queryKey: trpc.chat.messages.queryKey({ conversation_id: convId, limit: 100 }) });
      }
      setPending([]);
    }
  };

  // Tool steps (an assistant turn that only called tools, and the tools' results) stay out of the transcript.
  const stored = (conversationId && messages.data ? messages.data.data : []).filter(
    (turn): turn is typeof turn & Turn => turn.role !== 'tool' && !(turn.role === 'assistant' && turn.tool_calls && !turn.content),
  );
  const shown: Turn[] = [...stored, ...pending];
  const visible = shown.filter((turn) => turn.role !== 'system');
  const loadingMessages = conversationId !== null && messages.isPending;

  return (
    <section>
      <p>
        <a href="#/apps">← {t('apps.title')}</a>
      </p>
      <QueryView query={app}>
        {(a) => (
          <h1>
            {t('apps.playground')}: {a.name}
          </h1>
        )}
      </QueryView>
      <AppTools appId={appId} />
      <div className="playground">
        <aside aria-label={t('apps.conversations')}>
          <h2>{t('apps.conversations')}</h2>
          <button
            type="button"
            onClick={() => {
              setConversationId(null);
              setPending([]);
              setLastCost(null);
              setBreakdown(null);
              setSteps([]);
            }}
          >
            + {t('apps.newConversation')}
          </button>
          <QueryView query={conversations}>
            {(list) =>
              list.data.length === 0 ? (
                <Empty />
              ) : (
                <ul className="conversations">
                  {list.data.map((c) => (
                    <li key={c.id}>
                      <button
                        type="button"
                        className={c.id === conversationId ? 'active' : undefined}
                        aria-pressed={c.id === conversationId}
                        onClick={() => {
                          setConversationId(c.id);
                          setPending([]);
                          setSteps([]);
                          setBreakdown(null);
                        }}
                        data-testid="conversation"
                      >
                        {c.title ?? t('apps.untitled')} <small>({c.message_count})</small>
                      </button>
                    </li>
                  ))}
                </ul>
              )
            }
          </QueryView>
        </aside>
        <div className="chat">
          <div className="transcript" aria-live="polite" data-testid="transcript">
            {loadingMessages && <Loading />}
            {conversationId !== null && messages.isError && <ErrorBox error={messages.error} onRetry={() => void messages.refetch()} />}
            {shown.length === 0 && !loadingMessages && <Empty>{t('apps.noConversation')}</Empty>}
            {visible.map((turn, i) => (
              <Fragment key={i}>
                {/* The last answer's tool calls, just before it. */}
                {i === visible.length - 1 && turn.role === 'assistant' && <ToolSteps steps={steps} />}
                <div className={`bubble ${turn.role}`} data-role={turn.role}>
                  {turn.content || (streaming ? '…' : '')}
                  <Attachments items={turn.attachments} />
                </div>
              </Fragment>
            ))}
          </div>
          {streamError && <ErrorBox error={new Error(streamError)} />}
          {lastCost && (
            <p className="muted" data-testid="chat-cost">
              {lastCost}
              {breakdown && <span data-testid="cost-breakdown"> ({breakdown})</span>}
            </p>
          )}
          <form className="composer" onSubmit={(event) => void send(event)}>
            <Field label={t('apps.message')}>
              <textarea
                name="message"
                rows={2}
                value={draft}
                onChange={(e) => setDraft(e.target.value)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' && !e.shiftKey) {
                    e.preventDefault();
                    e.currentTarget.form?.requestSubmit();
                  }
                }}
              />
            </Field>
            <button type="submit" className="primary" disabled={streaming || !draft.trim()}>
              {streaming ? t('apps.sending') : t('apps.send')}
            </button>
          </form>
        </div>
      </div>
    </section>
  );
}
