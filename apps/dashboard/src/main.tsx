import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode, useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { makeQueryClient, setSession, signOut, TRPCProvider, trpcClient } from './client.js';
import { LocaleProvider } from './providers.js';
import { onSessionEnd } from './session.js';
import './styles.css';

// Earlier versions kept the access token in localStorage: drop it, the session is in memory now.
try {
  localStorage.removeItem('maas.token');
} catch {
  // storage unavailable
}

function Root() {
  const [session, setSessionKey] = useState(0);
  const [queryClient] = useState(() => makeQueryClient(() => setSession(null)));
  // The session ends on sign-out, or when the server refuses the refresh token: back to sign-in.
  useEffect(
    () =>
      onSessionEnd(() => {
        queryClient.clear();
        setSessionKey((n) => n + 1);
      }),
    [queryClient],
  );
  const onLogout = useCallback(() => void signOut(), []);
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <LocaleProvider>
          <App key={session} onLogout={onLogout} onLogin={() => setSessionKey((n) => n + 1)} />
        </LocaleProvider>
      </TRPCProvider>
    </QueryClientProvider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
