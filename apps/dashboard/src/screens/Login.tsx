import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { LanguageSwitch } from '../language-switch.js';
import { setSession, useTRPC } from '../client.js';
import { useI18n } from '../locale.js';
import { ErrorBox, Field } from '../ui.js';

export function LoginScreen({ onLogin }: { onLogin: () => void }) {
  const trpc = useTRPC();
  const { t } = useI18n();
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const [username, setUsername] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [notice, setNotice] = useState<string | null>(null);

  const login = useMutation(
    trpc.auth.token.mutationOptions({
      onSuccess: (tokens) => {
        setSession(tokens);
        onLogin();
      },
    }),
  );
  const register = useMutation(
    trpc.auth.register.mutationOptions({
      onSuccess: () => {
        setNotice(t('auth.registered'));
        setMode('login');
        // Sign in straight away with the same credentials.
        login.mutate({ username, password });
      },
    }),
  );

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setNotice(null);
    if (mode === 'login') login.mutate({ username, password });
    else register.mutate({ username, email, password });
  };
  const pending = login.isPending || register.isPending;
  const error = mode === 'login' ? login.error : register.error;

  return (
    <div className="login">
      <div className="card">
        <div className="row between">
          <h1>{t('app.title')}</h1>
          <LanguageSwitch />
        </div>
        <h2>{mode === 'login' ? t('auth.login') : t('auth.register')}</h2>
        <form onSubmit={submit} aria-label={mode === 'login' ? t('auth.login') : t('auth.register')}>
          <Field label={mode === 'login' ? t('auth.usernameOrEmail') : t('auth.username')}>
            <input name="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} />
          </Field>
          {mode === 'register' && (
            <Field label={t('auth.email')}>
              <input name="email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
            </Field>
          )}
          <Field label={t('auth.password')}>
            <input
              name="password"
              type="password"
              autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
              required
              minLength={mode === 'register' ? 8 : 1}
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </Field>
          {notice && <p className="notice">{notice}</p>}
          {error && <ErrorBox error={error} />}
          <button type="submit" className="primary" disabled={pending}>
            {pending ? t('common.loading') : mode === 'login' ? t('auth.login') : t('auth.register')}
          </button>
        </form>
        <p>
          {mode === 'login' ? t('auth.noAccount') : t('auth.haveAccount')}{' '}
          <button type="button" className="link" onClick={() => setMode(mode === 'login' ? 'register' : 'login')}>
            {mode === 'login' ? t('auth.register') : t('auth.login')}
          </button>
        </p>
      </div>
    </div>
  );
}
