import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTRPC } from '../client.js';
import { enumLabel } from '../enums.js';
import { formatDateTime } from '../format.js';
import { useI18n } from '../locale.js';
import { ErrorBox, Field, QueryView } from '../ui.js';

export function ProfileScreen() {
  const trpc = useTRPC();
  const { t } = useI18n();
  const profile = useQuery(trpc.users.profile.queryOptions());
  return (
    <section>
      <h1>{t('profile.title')}</h1>
      <QueryView query={profile}>{(me) => <ProfileForm me={me} key={me.id + me.username + me.email} />}</QueryView>
      <PasswordForm />
    </section>
  );
}

function ProfileForm({ me }: { me: { username: string; email: string; avatar: string | null; role: string; created_at: string } }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { t, locale } = useI18n();
  const [username, setUsername] = useState(me.username);
  const [email, setEmail] = useState(me.email);
  const [avatar, setAvatar] = useState(me.avatar ?? '');
  const [saved, setSaved] = useState(false);
  const update = useMutation(
    trpc.users.updateProfile.mutationOptions({
      onSuccess: async () => {
        setSaved(true);
        await queryClient.invalidateQueries({ queryKey: trpc.users.pathKey() });
      },
    }),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    update.mutate({ username, email, avatar: avatar.trim() || null });
  };
  return (
    <form className="card form" onSubmit={submit} aria-label={t('profile.title')}>
      <p className="muted">
        {t('profile.role')}: <span className="badge">{enumLabel(t, 'role', me.role)}</span> · {t('profile.since')}{' '}
        {formatDateTime(me.created_at, locale)}
      </p>
      <Field label={t('auth.username')}>
        <input name="username" required value={username} onChange={(e) => setUsername(e.target.value)} />
      </Field>
      <Field label={t('auth.email')}>
        <input name="email" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
      </Field>
      <Field label={t('profile.avatar')}>
        <input name="avatar" type="url" value={avatar} onChange={(e) => setAvatar(e.target.value)} placeholder="https://…" />
      </Field>
      {update.error && <ErrorBox error={update.error} />}
      {saved && (
        <p className="notice" role="status">
          {t('profile.saved')}
        </p>
      )}
      <button type="submit" className="primary" disabled={update.isPending}>
        {update.isPending ? t('common.saving') : t('common.save')}
      </button>
    </form>
  );
}

/** Changing the password needs the current one and signs out every other session. */
function PasswordForm() {
  const trpc = useTRPC();
  const { t } = useI18n();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [done, setDone] = useState<number | null>(null);
  const change = useMutation(
    trpc.users.changePassword.mutationOptions({
      onSuccess: (result) => (setDone(result.revoked_sessions), setCurrent(''), setNext('')),
    }),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setDone(null);
    change.mutate({ current_password: current, new_password: next });
  };
  return (
    <form className="card form" onSubmit={submit} aria-label={t('profile.password')}>
      <h2>{t('profile.password')}</h2>
      <Field label={t('profile.currentPassword')}>
        <input type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />
      </Field>
      <Field label={t('profile.newPassword')}>
        <input type="password" autoComplete="new-password" required minLength={8} value={next} onChange={(e) => setNext(e.target.value)} />
      </Field>
      <p className="muted">{t('profile.passwordNote')}</p>
      {change.error && <ErrorBox error={change.error} />}
      {done !== null && (
        <p className="notice" role="status">
          {t('profile.passwordChanged', { count: done })}
        </p>
      )}
      <button type="submit" className="primary" disabled={change.isPending}>
        {change.isPending ? t('common.saving') : t('profile.changePassword')}
      </button>
    </form>
  );
}
