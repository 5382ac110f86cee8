import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '../client.js';
import { useI18n } from '../locale.js';
import { ErrorBox, Loading } from '../ui.js';
import { ModelEditor } from './ModelEditor.js';

/** "New model" for developers and admins (the API refuses users), with its editor. */
export function NewModelButton() {
  const trpc = useTRPC();
  const { t } = useI18n();
  const profile = useQuery(trpc.users.profile.queryOptions());
  const [open, setOpen] = useState(false);
  if (profile.data?.role !== 'developer' && profile.data?.role !== 'admin') return null;
  return (
    <>
      <button type="button" className="primary" onClick={() => setOpen(true)}>
        {t('models.new')}
      </button>
      {open && (
        <div className="overlay">
          <div className="dialog wide" role="dialog" aria-modal="true" aria-label={t('models.new')}>
            <ModelEditor onDone={() => setOpen(false)} />
          </div>
        </div>
      )}
    </>
  );
}

/** Edit a model (its owner or an admin): loads the detail (pricing, routes) first. */
export function EditModelButton({ modelId }: { modelId: string }) {
  const trpc = useTRPC();
  const { t } = useI18n();
  const profile = useQuery(trpc.users.profile.queryOptions());
  const [open, setOpen] = useState(false);
  if (profile.data?.role !== 'developer' && profile.data?.role !== 'admin') return null;
  return open ? (
    <EditModel modelId={modelId} onDone={() => setOpen(false)} />
  ) : (
    <button type="button" onClick={() => setOpen(true)}>
      {t('common.edit')}
    </button>
  );
}

function EditModel({ modelId, onDone }: { modelId: string; onDone: () => void }) {
  const trpc = useTRPC();
  const detail = useQuery(trpc.models.get.queryOptions({ model_id: modelId }));
  if (detail.isPending) return <Loading />;
  if (detail.isError) return <ErrorBox error={detail.error} />;
  return (
    <div className="overlay">
      <div className="dialog wide" role="dialog" aria-modal="true" aria-label={detail.data.name}>
        <ModelEditor model={detail.data} onDone={onDone} />
      </div>
    </div>
  );
}
