import { useEffect, useState } from 'react';
import { authFetch } from '../session.js';
import { useI18n } from '../locale.js';

/** A file an application's answer delivered (issue 14): an image, audio or video its model made. */
export interface Attachment {
  file_id: string;
  url: string;
  content_type: string;
}

/**
 * The file's bytes as a blob URL: its content route needs the bearer token, which an <img> or
 * <audio> cannot send. Fetched through the same origin as the dashboard (its /api proxy).
 */
function useFileUrl(fileId: string): { url: string | null; failed: boolean } {
  const [state, setState] = useState<{ url: string | null; failed: boolean }>({ url: null, failed: false });
  useEffect(() => {
    let objectUrl: string | null = null;
    let live = true;
    authFetch(`/api/v1/files/${encodeURIComponent(fileId)}/content`)
      .then(async (res) => {
        if (!res.ok) throw new Error(String(res.status));
        const blob = await res.blob();
        if (!live) return;
        objectUrl = URL.createObjectURL(blob);
        setState({ url: objectUrl, failed: false });
      })
      .catch(() => {
        if (live) setState({ url: null, failed: true });
      });
    return () => {
      live = false;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [fileId]);
  return state;
}

function AttachmentView({ attachment }: { attachment: Attachment }) {
  const { t } = useI18n();
  const { url, failed } = useFileUrl(attachment.file_id);
  if (failed) return <p className="muted">{t('apps.attachmentGone')}</p>;
  if (!url) return <p className="muted">…</p>;
  const kind = attachment.content_type.split('/')[0];
  if (kind === 'image') return <img className="attachment" src={url} alt={attachment.file_id} data-testid="attachment-image" />;
  if (kind === 'audio') return <audio className="attachment" controls src={url} data-testid="attachment-audio" />;
  if (kind === 'video') return <video className="attachment" controls src={url} data-testid="attachment-video" />;
  return (
    <a href={url} download={attachment.file_id}>
      {attachment.file_id}
    </a>
  );
}

/** Media shown inline under a message: images as pictures, audio and video with their players. */
export function Attachments({ items }: { items: readonly Attachment[] | undefined }) {
  if (!items || items.length === 0) return null;
  return (
    <div className="attachments">
      {items.map((attachment) => (
        <AttachmentView key={attachment.file_id} attachment={attachment} />
      ))}
    </div>
  );
}
