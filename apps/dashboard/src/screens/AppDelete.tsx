import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '../client.js';
import { useI18n } from '../locale.js';
import { ConfirmDialog, ErrorBox } from '../ui.js';

/** Delete an application, after a confirmation naming it. */
export function DeleteAppButton({ app }: { app: { id: string; name: string } }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { t } = useI18n();
  const [asking, setAsking] = useState(false);
  const remove = useMutation(
    trpc.applications.delete.mutationOptions({
      onSuccess: async () => {
        setAsking(false);
        await queryClient.invalidateQueries({ queryKey: trpc.applications.pathKey() });
      },
    }),
  );
  return (
    <>
      <button type="button" className="danger" onClick={() => (remove.reset(), setAsking(true))}>
        {t('common.delete')}
      </button>
      {asking && (
        <ConfirmDialog
          title={t('apps.deleteTitle')}
          confirmLabel={t('common.delete')}
          pending={remove.isPending}
          onCancel={() => setAsking(false)}
          onConfirm={() => remove.mutate({ app_id: app.id })}
        >
          <p>{t('apps.deleteText', { name: app.name })}</p>
          {remove.error && <ErrorBox error={remove.error} />}
        </ConfirmDialog>
      )}
    </>
  );
}
