import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '@maas/api';
import { useTRPC } from '../client.js';
import { ENUMS, enumLabel } from '../enums.js';
import { useI18n } from '../locale.js';
import { ErrorBox, Field } from '../ui.js';
import { ModelFileUpload } from './ModelUpload.js';

type ModelDetail = inferRouterOutputs<AppRouter>['models']['get'];
type Category = (typeof ENUMS.modelCategory)[number];
type Status = (typeof ENUMS.modelStatus)[number];
type Visibility = (typeof ENUMS.visibility)[number];

/** Every price a model can have: per token, and per unit for media (empty = not priced that way). */
const PRICES = [
  'input_tokens',
  'output_tokens',
  'cached_input_tokens',
  'per_image',
  'per_second',
  'per_1k_characters',
  'per_minute',
] as const;
type PriceField = (typeof PRICES)[number];

interface RouteRow {
  provider_id: string;
  upstream_model: string;
  priority: string;
  weight: string;
}

function priceOf(model: ModelDetail | undefined, field: PriceField): string {
  const value = (model?.pricing as Partial<Record<PriceField, number>> | undefined)?.[field];
  if (value === undefined) return field === 'input_tokens' || field === 'output_tokens' ? '0' : '';
  return String(value);
}

/** Create (no model) or edit a model: pricing, routes, visibility, status, or a model file of its own. */
export function ModelEditor({ model, onDone }: { model?: ModelDetail; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { t } = useI18n();
  const [name, setName] = useState(model?.name ?? '');
  const [description, setDescription] = useState(model?.description ?? '');
  const [category, setCategory] = useState<Category>(model?.category ?? 'text');
  const [version, setVersion] = useState(model?.version ?? '1.0');
  const [visibility, setVisibility] = useState<Visibility>(model?.visibility ?? 'private');
  const [status, setStatus] = useState<Status>(model?.status ?? 'active');
  const [contextWindow, setContextWindow] = useState(String(model?.context_window ?? 4096));
  const [prices, setPrices] = useState<Record<PriceField, string>>(
    () => Object.fromEntries(PRICES.map((field) => [field, priceOf(model, field)])) as Record<PriceField, string>,
  );
  const [routes, setRoutes] = useState<RouteRow[]>(
    () =>
      model?.routes?.map((r) => ({
        provider_id: r.provider_id,
        upstream_model: r.upstream_model,
        priority: r.priority?.toString() ?? '',
        weight: r.weight?.toString() ?? '',
      })) ?? [],
  );
  const [modelFile, setModelFile] = useState<string | null>(model?.model_file ?? null);
  // Only admins may list providers: everyone else types the provider's id.
  const providers = useQuery({ ...trpc.providers.list.queryOptions({ limit: 100 }), retry: false });

  const done = async () => {
    await queryClient.invalidateQueries({ queryKey: trpc.models.pathKey() });
    onDone();
  };
  const create = useMutation(trpc.models.create.mutationOptions({ onSuccess: done }));
  const update = useMutation(trpc.models.update.mutationOptions({ onSuccess: done }));
  const mutation = model ? update : create;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const pricing: Record<string, string> = {};
    for (const field of PRICES) if (prices[field].trim() !== '') pricing[field] = prices[field].trim();
    const fields = {
      name,
      description,
      category,
      version,
      visibility,
      context_window: Number(contextWindow),
      pricing: { input_tokens: pricing.input_tokens ?? '0', output_tokens: pricing.output_tokens ?? '0', ...pricing },
      routes: routes
        .filter((r) => r.provider_id && r.upstream_model.trim())
        .map((r) => ({
          provider_id: r.provider_id,
          upstream_model: r.upstream_model.trim(),
          ...(r.priority.trim() ? { priority: Number(r.priority) } : {}),
          ...(r.weight.trim() ? { weight: Number(r.weight) } : {}),
        })),
    };
    if (model) update.mutate({ model_id: model.id, ...fields, status, model_file: modelFile });
    else create.mutate({ ...fields, ...(modelFile ? { model_file: modelFile } : {}) });
  };
  const setRoute = (index: number, patch: Partial<RouteRow>) => setRoutes(routes.map((r, i) => (i === index ? { ...r, ...patch } : r)));

  return (
    <form className="card form" onSubmit={submit} aria-label={model ? t('modelEdit.edit') : t('modelEdit.new')}>
      <h2>{model ? t('modelEdit.edit') : t('modelEdit.new')}</h2>
      <div className="form-grid">
        <Field label={t('common.name')}>
          <input name="name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field label={t('common.category')}>
          <select name="category" value={category} onChange={(e) => setCategory(e.target.value as Category)}>
            {ENUMS.modelCategory.map((c) => (
              <option key={c} value={c}>
                {enumLabel(t, 'modelCategory', c)}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t('models.version')}>
          <input name="version" required maxLength={32} value={version} onChange={(e) => setVersion(e.target.value)} />
        </Field>
        <Field label={t('modelEdit.visibility')}>
          <select name="visibility" value={visibility} onChange={(e) => setVisibility(e.target.value as Visibility)}>
            {ENUMS.visibility.map((v) => (
              <option key={v} value={v}>
                {enumLabel(t, 'visibility', v)}
              </option>
            ))}
          </select>
        </Field>
        {model && (
          <Field label={t('common.status')}>
            <select name="status" value={status} onChange={(e) => setStatus(e.target.value as Status)}>
              {ENUMS.modelStatus.map((s) => (
                <option key={s} value={s}>
                  {enumLabel(t, 'modelStatus', s)}
                </option>
              ))}
            </select>
          </Field>
        )}
        <Field label={t('modelEdit.contextWindow')}>
          <input name="context_window" type="number" min={1} value={contextWindow} onChange={(e) => setContextWindow(e.target.value)} />
        </Field>
      </div>
      <Field label={t('common.description')}>
        <textarea name="description" rows={2} maxLength={2000} value={description} onChange={(e) => setDescription(e.target.value)} />
      </Field>
      <fieldset>
        <legend>{t('modelEdit.pricing')}</legend>
        <div className="form-grid">
          {PRICES.map((field) => (
            <Field key={field} label={t(`modelEdit.price.${field}`)}>
              <input
                name={`price_${field}`}
                inputMode="decimal"
                value={prices[field]}
                placeholder={t('modelEdit.notPriced')}
                onChange={(e) => setPrices({ ...prices, [field]: e.target.value })}
              />
            </Field>
          ))}
        </div>
      </fieldset>
      <fieldset>
        <legend>{t('modelEdit.routes')}</legend>
        {routes.map((route, index) => (
          <div className="form-grid route" key={index} data-testid="route">
            <Field label={t('modelEdit.provider')}>
              {providers.data ? (
                <select value={route.provider_id} onChange={(e) => setRoute(index, { provider_id: e.target.value })}>
                  <option value="">—</option>
                  {providers.data.data.map((p) => (
                    <option key={p.id} value={p.id}>
                      {p.name}
                    </option>
                  ))}
                </select>
              ) : (
                <input value={route.provider_id} placeholder="prov_…" onChange={(e) => setRoute(index, { provider_id: e.target.value })} />
              )}
            </Field>
            <Field label={t('modelEdit.upstreamModel')}>
              <input value={route.upstream_model} onChange={(e) => setRoute(index, { upstream_model: e.target.value })} />
            </Field>
            <Field label={t('providers.priority')}>
              <input type="number" value={route.priority} onChange={(e) => setRoute(index, { priority: e.target.value })} />
            </Field>
            <Field label={t('providers.weight')}>
              <input type="number" min={0} value={route.weight} onChange={(e) => setRoute(index, { weight: e.target.value })} />
            </Field>
            <button type="button" className="link" onClick={() => setRoutes(routes.filter((_, i) => i !== index))}>
              {t('modelEdit.removeRoute')}
            </button>
          </div>
        ))}
        <button type="button" onClick={() => setRoutes([...routes, { provider_id: '', upstream_model: '', priority: '', weight: '' }])}>
          {t('modelEdit.addRoute')}
        </button>
      </fieldset>
      <fieldset>
        <legend>{t('modelEdit.file')}</legend>
        <ModelFileUpload fileId={modelFile} onFile={setModelFile} />
      </fieldset>
      {mutation.error && <ErrorBox error={mutation.error} />}
      <div className="row end">
        <button type="button" onClick={onDone}>
          {t('common.cancel')}
        </button>
        <button type="submit" className="primary" disabled={mutation.isPending}>
          {mutation.isPending ? t('common.saving') : model ? t('common.save') : t('common.create')}
        </button>
      </div>
    </form>
  );
}
