import { useMutation } from '@tanstack/react-query';
import { apiUpload } from '../client.js';
import { useI18n } from '../locale.js';
import { ErrorBox } from '../ui.js';

interface UploadedFile {
  id: string;
  filename: string;
  bytes: number;
}

/** POST /api/v1/files with purpose=model (a GGUF file, checked as it streams): the model serves it itself. */
export function ModelFileUpload({ fileId, onFile }: { fileId: string | null; onFile: (id: string | null) => void }) {
  const { t } = useI18n();
  const upload = useMutation({
    mutationFn: (file: File) => {
      const form = new FormData();
      form.append('purpose', 'model');
      form.append('file', file);
      return apiUpload<UploadedFile>('/files', form);
    },
    onSuccess: (file) => onFile(file.id),
  });
  return (
    <div className="upload">
      <label className="field">
        <span>{t('modelEdit.uploadFile')}</span>
        <input
          type="file"
          accept=".gguf"
          disabled={upload.isPending}
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) upload.mutate(file);
          }}
        />
      </label>
      {upload.isPending && <p className="muted">{t('modelEdit.uploading')}</p>}
      {upload.error && <ErrorBox error={upload.error} />}
      {fileId && (
        <p className="muted" data-testid="model-file">
          {t('modelEdit.fileSet')} <code>{fileId}</code>{' '}
          <button type="button" className="link" onClick={() => onFile(null)}>
            {t('modelEdit.fileRemove')}
          </button>
        </p>
      )}
    </div>
  );
}
