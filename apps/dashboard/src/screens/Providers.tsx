import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '@maas/api';
import { useTRPC } from '../client.js';
import { ENUMS, enumLabel } from '../enums.js';
import { formatMoney } from '../format.js';
import { useI18n } from '../locale.js';
import { ConfirmDialog, Empty, ErrorBox, Field, QueryView } from '../ui.js';

type Provider = inferRouterOutputs<AppRouter>['providers']['list']['data'][number];
type Kind = (typeof ENUMS.providerKind)[number];

/** Admins: the upstream providers models are routed to, with their key (write-only) and price floor. */
export function ProvidersScreen() {
  const trpc = useTRPC();
  const { t, locale } = useI18n();
  const providers = useQuery(trpc.providers.list.queryOptions({ limit: 100 }));
  const [editing, setEditing] = useState<Provider | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Provider | null>(null);
  return (
    <section>
      <div className="row between">
        <h1>{t('providers.title')}</h1>
        {editing === null && (
          <button type="button" className="primary" onClick={() => setEditing('new')}>
            {t('providers.new')}
          </button>
        )}
      </div>
      {editing !== null && (
        <ProviderForm
          provider={editing === 'new' ? undefined : editing}
          onDone={() => setEditing(null)}
          key={editing === 'new' ? 'new' : editing.id}
        />
      )}
      {deleting && <DeleteProvider provider={deleting} onDone={() => setDeleting(null)} />}
      <QueryView query={providers}>
        {(list) =>
          list.data.length === 0 ? (
            <Empty />
          ) : (
            <div className="table-wrap">
              <table data-testid="providers">
                <thead>
                  <tr>
                    <th>{t('common.name')}</th>
                    <th>{t('admin.kind')}</th>
                    <th>{t('admin.baseUrl')}</th>
                    <th>{t('providers.apiKey')}</th>
                    <th>{t('admin.enabled')}</th>
                    <th className="num">{t('providers.floor')}</th>
                    <th>{t('common.actions')}</th>
                  </tr>
                </thead>
                <tbody>
                  {list.data.map((p) => (
                    <tr key={p.id}>
                      <td>{p.name}</td>
                      <td>{enumLabel(t, 'providerKind', p.kind)}</td>
                      <td className="wrap">
                        <code>{p.base_url}</code>
                      </td>
                      <td>{p.has_api_key ? t('providers.keySet') : t('providers.keyNone')}</td>
                      <td>{p.enabled ? t('common.yes') : t('common.no')}</td>
                      <td className="num">
                        {formatMoney(p.min_price.input_tokens, locale)} / {formatMoney(p.min_price.output_tokens, locale)}
                      </td>
                      <td className="actions">
                        <TestConnection providerId={p.id} />
                        <button type="button" onClick={() => setEditing(p)}>
                          {t('common.edit')}
                        </button>
                        <button type="button" className="danger" onClick={() => setDeleting(p)}>
                          {t('common.delete')}
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
    </section>
  );
}

/** One cheap request to the provider (POST /providers/{id}/test); an upstream failure is shown, not thrown. */
function TestConnection({ providerId }: { providerId: string }) {
  const trpc = useTRPC();
  const { t } = useI18n();
  const test = useMutation(trpc.providers.test.mutationOptions());
  return (
    <>
      <button type="button" disabled={test.isPending} onClick={() => test.mutate({ provider_id: providerId })}>
        {test.isPending ? t('providers.testing') : t('providers.test')}
      </button>
      {test.data && (
        <span role="status" data-testid="connection-test" className={test.data.ok ? 'pos' : 'neg'}>
          {test.data.ok
            ? t('providers.testOk', { latency: test.data.latency_ms })
            : t('providers.testFailed', {
                latency: test.data.latency_ms,
                error: test.data.status === null ? (test.data.error ?? '') : `${test.data.status} ${test.data.error ?? ''}`,
              })}
        </span>
      )}
      {test.error && <ErrorBox error={test.error} />}
    </>
  );
}

function ProviderForm({ provider, onDone }: { provider?: Provider; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { t } = useI18n();
  const [name, setName] = useState(provider?.name ?? '');
  const [kind, setKind] = useState<Kind>(provider?.kind ?? 'openai-compatible');
  const [baseUrl, setBaseUrl] = useState(provider?.base_url ?? '');
  const [apiKey, setApiKey] = useState('');
  const [clearKey, setClearKey] = useState(false);
  const [timeout, setTimeoutMs] = useState(String(provider?.timeout_ms ?? 60_000));
  const [priority, setPriority] = useState(String(provider?.priority ?? 0));
  const [weight, setWeight] = useState(String(provider?.weight ?? 1));
  const [enabled, setEnabled] = useState(provider?.enabled ?? true);
  const [floorIn, setFloorIn] = useState(String(provider?.min_price.input_tokens ?? 0));
  const [floorOut, setFloorOut] = useState(String(provider?.min_price.output_tokens ?? 0));
  const done = async () => {
    await queryClient.invalidateQueries({ queryKey: trpc.providers.pathKey() });
    onDone();
  };
  const create = useMutation(trpc.providers.create.mutationOptions({ onSuccess: done }));
  const update = useMutation(trpc.providers.update.mutationOptions({ onSuccess: done }));
  const mutation = provider ? update : create;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const fields = {
      name,
      kind,
      timeout_ms: Number(timeout),
      priority: Number(priority),
      weight: Number(weight),
      enabled,
      min_price: { input_tokens: floorIn.trim() || '0', output_tokens: floorOut.trim() || '0' },
      ...(baseUrl.trim() ? { base_url: baseUrl.trim() } : {}),
    };
    const key = clearKey ? { api_key: null } : apiKey ? { api_key: apiKey } : {};
    if (provider) update.mutate({ provider_id: provider.id, ...fields, ...key });
    else create.mutate({ ...fields, ...key });
  };

  return (
    <form className="card form" onSubmit={submit} aria-label={provider ? t('providers.edit') : t('providers.new')}>
      <h2>{provider ? t('providers.edit') : t('providers.new')}</h2>
      <div className="form-grid">
        <Field label={t('common.name')}>
          <input name="name" required maxLength={64} value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field label={t('admin.kind')}>
          <select name="kind" value={kind} onChange={(e) => setKind(e.target.value as Kind)}>
            {ENUMS.providerKind.map((k) => (
              <option key={k} value={k}>
                {enumLabel(t, 'providerKind', k)}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t('admin.baseUrl')}>
          <input name="base_url" value={baseUrl} onChange={(e) => setBaseUrl(e.target.value)} placeholder="https://api.example.com/v1" />
        </Field>
        <Field label={t('providers.apiKey')}>
          <input
            name="api_key"
            type="password"
            autoComplete="off"
            value={apiKey}
            disabled={clearKey}
            onChange={(e) => setApiKey(e.target.value)}
            placeholder={provider?.has_api_key ? t('providers.keyKeep') : ''}
          />
        </Field>
        <Field label={t('providers.timeout')}>
          <input name="timeout_ms" type="number" min={100} max={600000} value={timeout} onChange={(e) => setTimeoutMs(e.target.value)} />
        </Field>
        <Field label={t('providers.priority')}>
          <input name="priority" type="number" min={-1000} max={1000} value={priority} onChange={(e) => setPriority(e.target.value)} />
        </Field>
        <Field label={t('providers.weight')}>
          <input name="weight" type="number" min={0} max={1000} value={weight} onChange={(e) => setWeight(e.target.value)} />
        </Field>
        <Field label={t('providers.floorIn')}>
          <input name="floor_in" inputMode="decimal" value={floorIn} onChange={(e) => setFloorIn(e.target.value)} />
        </Field>
        <Field label={t('providers.floorOut')}>
          <input name="floor_out" inputMode="decimal" value={floorOut} onChange={(e) => setFloorOut(e.target.value)} />
        </Field>
      </div>
      <label className="check">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> {t('admin.enabled')}
      </label>
      {provider?.has_api_key && (
        <label className="check">
          <input type="checkbox" checked={clearKey} onChange={(e) => setClearKey(e.target.checked)} /> {t('providers.keyRemove')}
        </label>
      )}
      <p className="muted">{t('providers.floorNote')}</p>
      {mutation.error && <ErrorBox error={mutation.error} />}
      <div className="row end">
        <button type="button" onClick={onDone}>
          {t('common.cancel')}
        </button>
        <button type="submit" className="primary" disabled={mutation.isPending}>
          {mutation.isPending ? t('common.saving') : provider ? t('common.save') : t('common.create')}
        </button>
      </div>
    </form>
  );
}

function DeleteProvider({ provider, onDone }: { provider: Provider; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { t } = useI18n();
  const remove = useMutation(
    trpc.providers.delete.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.providers.pathKey() });
        onDone();
      },
    }),
  );
  return (
    <ConfirmDialog
      title={t('providers.deleteTitle')}
      confirmLabel={t('common.delete')}
      pending={remove.isPending}
      onCancel={onDone}
      onConfirm={() => remove.mutate({ provider_id: provider.id })}
    >
      <p>{t('providers.deleteText', { name: provider.name })}</p>
      {remove.error && <ErrorBox error={remove.error} />}
    </ConfirmDialog>
  );
}
