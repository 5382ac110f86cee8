import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { AppRouter } from '@maas/api';
import type { inferRouterOutputs } from '@trpc/server';
import { type FormEvent, lazy, Suspense, useState } from 'react';
import { useTRPC } from '../client.js';
import { ENUMS, enumLabel } from '../enums.js';
import { formatMoney } from '../format.js';
import { useI18n } from '../locale.js';
import { navigate } from '../router.js';
import { Empty, ErrorBox, Field, Loading, QueryView } from '../ui.js';
import { parseFunctions, parseSchema, SAMPLE_FUNCTIONS } from './tool-json.js';

// A tool's versions and its usage are screens of their own (own chunks), opened from the list.
const ToolVersions = lazy(() => import('./ToolVersions.js').then((m) => ({ default: m.ToolVersions })));
const ToolUsage = lazy(() => import('./ToolUsage.js').then((m) => ({ default: m.ToolUsage })));

type Kind = (typeof ENUMS.toolKind)[number];
type Category = (typeof ENUMS.toolCategory)[number];
type Created = inferRouterOutputs<AppRouter>['tools']['create'];

/** Developers and admins: publish a callable tool, see its signing secret once, its versions and its usage. */
export function ToolAuthorScreen({ toolId }: { toolId: string | null }) {
  const trpc = useTRPC();
  const { t, locale } = useI18n();
  const profile = useQuery(trpc.users.profile.queryOptions());
  const tools = useQuery(trpc.tools.list.queryOptions({ limit: 100, sort: 'created_at' }));
  const [publishing, setPublishing] = useState(false);
  const [secret, setSecret] = useState<{ name: string; secret: string } | null>(null);
  const rotate = useMutation(
    trpc.tools.rotateSigningSecret.mutationOptions({
      onSuccess: (answer) =>
        setSecret({
          name: tools.data?.data.find((tool) => tool.id === answer.tool_id)?.name ?? answer.tool_id,
          secret: answer.signing_secret,
        }),
    }),
  );
  const mine = (tools.data?.data ?? []).filter((tool) => tool.author.id === profile.data?.id);
  const selected = mine.find((tool) => tool.id === toolId);

  return (
    <section>
      <div className="row between">
        <h1>{t('author.tab')}</h1>
        {!publishing && (
          <button type="button" className="primary" onClick={() => setPublishing(true)}>
            {t('author.title')}
          </button>
        )}
      </div>
      {publishing && (
        <PublishForm
          onCancel={() => setPublishing(false)}
          onCreated={(tool) => {
            setPublishing(false);
            setSecret({ name: tool.name, secret: tool.signing_secret });
          }}
        />
      )}
      {secret && <SecretOnce name={secret.name} secret={secret.secret} onClose={() => setSecret(null)} />}
      <QueryView query={tools}>
        {() =>
          mine.length === 0 ? (
            <Empty>{t('author.none')}</Empty>
          ) : (
            <div className="table-wrap">
              <table data-testid="my-tools">
                <thead>
                  <tr>
                    <th>{t('common.name')}</th>
                    <th>{t('author.kind')}</th>
                    <th className="num">{t('author.price')}</th>
                    <th className="num">{t('author.pricePerCall')}</th>
                    <th className="num">{t('author.calls')}</th>
                    <th>{t('common.actions')}</th>
                  </tr>
                </thead>
                <tbody>
                  {mine.map((tool) => (
                    <tr key={tool.id} data-testid="my-tool">
                      <td>{tool.name}</td>
                      <td>{enumLabel(t, 'toolKind', tool.kind)}</td>
                      <td className="num">{formatMoney(tool.price, locale)}</td>
                      <td className="num">{formatMoney(tool.price_per_call, locale)}</td>
                      <td className="num">{tool.calls_30d}</td>
                      <td>
                        <button type="button" aria-pressed={tool.id === toolId} onClick={() => navigate('publish', tool.id)}>
                          {t('author.versions')} · {t('author.usage')}
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryView>
      {selected && (
        <Suspense fallback={<Loading />}>
          <div className="row between">
            <h2>{selected.name}</h2>
            <button type="button" disabled={rotate.isPending} onClick={() => rotate.mutate({ tool_id: selected.id })}>
              {t('author.rotate')}
            </button>
          </div>
          {rotate.error && <ErrorBox error={rotate.error} />}
          <ToolVersions toolId={selected.id} kind={selected.kind} />
          <ToolUsage toolId={selected.id} />
        </Suspense>
      )}
    </section>
  );
}

/** The signing secret, shown once right after the tool is created. */
function SecretOnce({ name, secret, onClose }: { name: string; secret: string; onClose: () => void }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  return (
    <div className="card notice" role="status" data-testid="signing-secret">
      <h2>
        {t('author.secretTitle')}: {name}
      </h2>
      <p>{t('author.secretOnce')}</p>
      <code className="secret" data-testid="secret-value">
        {secret}
      </code>
      <div className="row">
        <button
          type="button"
          onClick={() => {
            void navigator.clipboard?.writeText(secret).then(
              () => setCopied(true),
              () => setCopied(false),
            );
          }}
        >
          {t('author.copy')}
        </button>
        {copied && <span>{t('author.copied')}</span>}
        <button type="button" onClick={onClose}>
          {t('author.close')}
        </button>
      </div>
    </div>
  );
}

function PublishForm({ onCancel, onCreated }: { onCancel: () => void; onCreated: (tool: Created) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { t } = useI18n();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [category, setCategory] = useState<Category>('development');
  const [kind, setKind] = useState<Kind>('http');
  const [url, setUrl] = useState('');
  const [functions, setFunctions] = useState(SAMPLE_FUNCTIONS);
  const [configSchema, setConfigSchema] = useState('');
  const [price, setPrice] = useState('0');
  const [perCall, setPerCall] = useState('0');
  const [version, setVersion] = useState('1.0.0');
  const [badJson, setBadJson] = useState(false);
  const create = useMutation(
    trpc.tools.create.mutationOptions({
      onSuccess: async (tool) => {
        await queryClient.invalidateQueries({ queryKey: trpc.tools.pathKey() });
        onCreated(tool);
      },
    }),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const fns = kind === 'http' ? parseFunctions(functions) : [];
    const schema = parseSchema(configSchema);
    setBadJson(fns === null || schema === null);
    if (fns === null || schema === null) return;
    create.mutate({
      name: name.trim(),
      description: description.trim(),
      category,
      price: price.trim(),
      price_per_call: perCall.trim(),
      version: version.trim(),
      kind,
      ...(kind === 'http' ? { endpoint_url: url.trim(), functions: fns } : { server_url: url.trim() }),
      ...(schema ? { config_schema: schema } : {}),
    });
  };
  return (
    <form className="card form" onSubmit={submit} aria-label={t('author.title')}>
      <h2>{t('author.title')}</h2>
      <div className="form-grid">
        <Field label={t('common.name')}>
          <input name="name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field label={t('common.category')}>
          <select name="category" value={category} onChange={(e) => setCategory(e.target.value as Category)}>
            {ENUMS.toolCategory.map((c) => (
              <option key={c} value={c}>
                {enumLabel(t, 'toolCategory', c)}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t('author.kind')}>
          <select name="kind" value={kind} onChange={(e) => setKind(e.target.value as Kind)}>
            {ENUMS.toolKind.map((k) => (
              <option key={k} value={k}>
                {enumLabel(t, 'toolKind', k)}
              </option>
            ))}
          </select>
        </Field>
        <Field label={kind === 'http' ? t('author.endpoint') : t('author.serverUrl')}>
          <input name="url" type="url" required value={url} onChange={(e) => setUrl(e.target.value)} />
        </Field>
        <Field label={t('author.price')}>
          <input name="price" inputMode="decimal" required value={price} onChange={(e) => setPrice(e.target.value)} />
        </Field>
        <Field label={t('author.pricePerCall')}>
          <input name="price_per_call" inputMode="decimal" required value={perCall} onChange={(e) => setPerCall(e.target.value)} />
        </Field>
        <Field label={t('author.version')}>
          <input name="version" required maxLength={32} value={version} onChange={(e) => setVersion(e.target.value)} />
        </Field>
      </div>
      <Field label={t('common.description')}>
        <input name="description" maxLength={500} value={description} onChange={(e) => setDescription(e.target.value)} />
      </Field>
      {kind === 'http' && (
        <Field label={t('author.functions')}>
          <textarea name="functions" rows={8} spellCheck={false} value={functions} onChange={(e) => setFunctions(e.target.value)} />
        </Field>
      )}
      <Field label={t('author.configSchema')}>
        <textarea name="config_schema" rows={3} spellCheck={false} value={configSchema} onChange={(e) => setConfigSchema(e.target.value)} />
      </Field>
      {badJson && <ErrorBox error={new Error(t('author.badJson'))} />}
      {create.error && <ErrorBox error={create.error} />}
      <div className="row">
        <button type="button" onClick={onCancel}>
          {t('common.cancel')}
        </button>
        <button type="submit" className="primary" disabled={create.isPending}>
          {create.isPending ? t('common.saving') : t('author.publish')}
        </button>
      </div>
    </form>
  );
}
