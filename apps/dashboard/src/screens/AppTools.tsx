import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '../client.js';
import { enumLabel } from '../enums.js';
import { formatMoney } from '../format.js';
import { useI18n } from '../locale.js';
import { Empty, ErrorBox, Field, QueryView } from '../ui.js';

interface Attached {
  tool_id: string;
  version: string | null;
  config: Record<string, unknown>;
  fixed_arguments: Record<string, unknown>;
}

/** The set as PUT takes it; secret fields are left out, so the server keeps the stored ones. */
function asInput(tools: Attached[]) {
  return tools.map((tool) => ({
    tool_id: tool.tool_id,
    ...(tool.version ? { version: tool.version } : {}),
    config: tool.config,
    fixed_arguments: tool.fixed_arguments,
  }));
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text || '{}');
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Attach, configure and detach an application's tools (issue 16 part 2). */
export function AppTools({ appId }: { appId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { t, locale } = useI18n();
  const attached = useQuery(trpc.tools.appTools.queryOptions({ app_id: appId }));
  const owned = useQuery(trpc.tools.owned.queryOptions({ limit: 100 }));
  const catalogue = useQuery(trpc.tools.list.queryOptions({ limit: 100, sort: 'downloads' }));
  const profile = useQuery(trpc.users.profile.queryOptions());
  const [adding, setAdding] = useState('');
  const [editing, setEditing] = useState<string | null>(null);
  const [config, setConfig] = useState('{}');
  const [fixed, setFixed] = useState('{}');
  const [jsonError, setJsonError] = useState(false);
  const save = useMutation(
    trpc.tools.setAppTools.mutationOptions({
      onSuccess: async () => {
        setEditing(null);
        setAdding('');
        await queryClient.invalidateQueries({ queryKey: trpc.tools.appTools.pathKey() });
      },
    }),
  );

  const current = attached.data?.data ?? [];
  const attachedIds = new Set(current.map((tool) => tool.tool_id));
  // What the owner may attach: callable tools they hold or wrote, and free ones.
  const candidates = new Map<string, string>();
  for (const tool of owned.data?.data ?? []) if (tool.kind) candidates.set(tool.id, tool.name);
  for (const tool of catalogue.data?.data ?? []) {
    if (tool.kind && (tool.price === 0 || tool.author.id === profile.data?.id)) candidates.set(tool.id, tool.name);
  }
  for (const id of attachedIds) candidates.delete(id);

  const put = (tools: Attached[]) => save.mutate({ app_id: appId, tools: asInput(tools) });
  const startEdit = (tool: Attached) => {
    setEditing(tool.tool_id);
    setConfig(JSON.stringify(tool.config, null, 2));
    setFixed(JSON.stringify(tool.fixed_arguments, null, 2));
    setJsonError(false);
  };
  const saveEdit = (toolId: string) => {
    const newConfig = parseObject(config);
    const newFixed = parseObject(fixed);
    if (!newConfig || !newFixed) return setJsonError(true);
    setJsonError(false);
    put(current.map((tool) => (tool.tool_id === toolId ? { ...tool, config: newConfig, fixed_arguments: newFixed } : tool)));
  };

  return (
    <div className="card" data-testid="app-tools">
      <h3>{t('apps.tools')}</h3>
      <QueryView query={attached}>
        {(list) =>
          list.data.length === 0 ? (
            <Empty>{t('apps.tools.none')}</Empty>
          ) : (
            <ul className="list">
              {list.data.map((tool) => (
                <li key={tool.tool_id} data-testid="app-tool">
                  <div className="row between">
                    <div>
                      <strong>{tool.name}</strong>{' '}
                      <span className="muted">
                        {enumLabel(t, 'toolKind', tool.kind)} · v{tool.resolved_version} ·{' '}
                        {t('apps.tools.perCall', { price: formatMoney(tool.price_per_call, locale) })}
                      </span>
                      <p className="muted">{tool.functions.map((fn) => fn.exposed_name).join(', ')}</p>
                      {tool.secret_fields_set.length > 0 && (
                        <p className="muted">{t('apps.tools.secretsSet', { fields: tool.secret_fields_set.join(', ') })}</p>
                      )}
                    </div>
                    <div className="actions">
                      <button type="button" onClick={() => startEdit(tool)}>
                        {t('common.edit')}
                      </button>
                      <button type="button" onClick={() => put(current.filter((other) => other.tool_id !== tool.tool_id))}>
                        {t('apps.tools.detach')}
                      </button>
                    </div>
                  </div>
                  {editing === tool.tool_id && (
                    <div className="form">
                      <Field label={t('apps.tools.config')}>
                        <textarea rows={4} value={config} onChange={(e) => setConfig(e.target.value)} />
                      </Field>
                      <Field label={t('apps.tools.fixed')}>
                        <textarea rows={3} value={fixed} onChange={(e) => setFixed(e.target.value)} />
                      </Field>
                      {jsonError && <p className="error">{t('apps.tools.badJson')}</p>}
                      <div className="actions">
                        <button type="button" className="primary" disabled={save.isPending} onClick={() => saveEdit(tool.tool_id)}>
                          {t('common.save')}
                        </button>
                        <button type="button" onClick={() => setEditing(null)}>
                          {t('common.cancel')}
                        </button>
                      </div>
                    </div>
                  )}
                </li>
              ))}
            </ul>
          )
        }
      </QueryView>
      <div className="row">
        <select aria-label={t('apps.tools.attach')} value={adding} onChange={(e) => setAdding(e.target.value)}>
          <option value="">{t('apps.tools.choose')}</option>
          {[...candidates].map(([id, name]) => (
            <option key={id} value={id}>
              {name}
            </option>
          ))}
        </select>
        <button
          type="button"
          disabled={!adding || save.isPending}
          onClick={() => put([...current, { tool_id: adding, version: null, config: {}, fixed_arguments: {} }])}
        >
          {t('apps.tools.attach')}
        </button>
      </div>
      {save.error && <ErrorBox error={save.error} />}
    </div>
  );
}
