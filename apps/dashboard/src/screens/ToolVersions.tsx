import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTRPC } from '../client.js';
import { type ENUMS, enumLabel } from '../enums.js';
import { formatDateTime } from '../format.js';
import { useI18n } from '../locale.js';
import { Empty, ErrorBox, Field, QueryView } from '../ui.js';
import { parseFunctions } from './tool-json.js';

type Kind = (typeof ENUMS.toolKind)[number];

/** A tool's published versions (newest first) and a form to publish the next one, which becomes current. */
export function ToolVersions({ toolId, kind }: { toolId: string; kind: Kind | null }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { t, locale } = useI18n();
  const versions = useQuery(trpc.tools.versions.queryOptions({ tool_id: toolId, limit: 50 }));
  const latest = versions.data?.data.find((v) => v.current) ?? versions.data?.data[0];
  const [version, setVersion] = useState('');
  const [url, setUrl] = useState<string | null>(null);
  const [functions, setFunctions] = useState<string | null>(null);
  const [badJson, setBadJson] = useState(false);
  const publish = useMutation(
    trpc.tools.publishVersion.mutationOptions({
      onSuccess: async () => {
        setVersion('');
        await queryClient.invalidateQueries({ queryKey: trpc.tools.pathKey() });
      },
    }),
  );
  const effectiveKind: Kind = latest?.kind ?? kind ?? 'http';
  const urlValue = url ?? (effectiveKind === 'http' ? latest?.endpoint_url : latest?.server_url) ?? '';
  const functionsValue = functions ?? JSON.stringify(latest?.functions ?? [], null, 2);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (effectiveKind === 'mcp') {
      publish.mutate({ tool_id: toolId, version: version.trim(), kind: 'mcp', server_url: urlValue.trim() });
      return;
    }
    const fns = parseFunctions(functionsValue);
    setBadJson(fns === null);
    if (fns === null) return;
    publish.mutate({ tool_id: toolId, version: version.trim(), kind: 'http', endpoint_url: urlValue.trim(), functions: fns });
  };
  return (
    <div className="cards-2">
      <div className="card">
        <h3>{t('author.versions')}</h3>
        <QueryView query={versions}>
          {(list) =>
            list.data.length === 0 ? (
              <Empty />
            ) : (
              <ul className="plain" data-testid="tool-versions">
                {list.data.map((v) => (
                  <li key={v.version} data-testid="tool-version">
                    <strong>{v.version}</strong> {v.current && <span className="badge">{t('author.current')}</span>} ·{' '}
                    {enumLabel(t, 'toolKind', v.kind)} · {t('author.functionsCount', { count: v.functions.length })} ·{' '}
                    {formatDateTime(v.created_at, locale)}
                  </li>
                ))}
              </ul>
            )
          }
        </QueryView>
      </div>
      <form className="card form" onSubmit={submit} aria-label={t('author.newVersion')}>
        <h3>{t('author.newVersion')}</h3>
        <Field label={t('author.version')}>
          <input name="version" required maxLength={32} value={version} onChange={(e) => setVersion(e.target.value)} />
        </Field>
        <Field label={effectiveKind === 'http' ? t('author.endpoint') : t('author.serverUrl')}>
          <input name="url" type="url" required value={urlValue} onChange={(e) => setUrl(e.target.value)} />
        </Field>
        {effectiveKind === 'http' && (
          <Field label={t('author.functions')}>
            <textarea name="functions" rows={6} spellCheck={false} value={functionsValue} onChange={(e) => setFunctions(e.target.value)} />
          </Field>
        )}
        {badJson && <ErrorBox error={new Error(t('author.badJson'))} />}
        {publish.error && <ErrorBox error={publish.error} />}
        <button type="submit" className="primary" disabled={publish.isPending}>
          {publish.isPending ? t('common.saving') : t('author.publish')}
        </button>
      </form>
    </div>
  );
}
