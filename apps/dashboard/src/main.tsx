import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode, useCallback, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { makeQueryClient, setToken, TRPCProvider, trpcClient } from './client.js';
import { LocaleProvider } from './providers.js';
import './styles.css';

function Root() {
  const [session, setSession] = useState(0);
  const [queryClient] = useState(() =>
    makeQueryClient(() => {
      setToken(null);
      setSession((n) => n + 1);
    }),
  );
  const onLogout = useCallback(() => {
    setToken(null);
    queryClient.clear();
    setSession((n) => n + 1);
  }, [queryClient]);
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <LocaleProvider>
          <App key={session} onLogout={onLogout} onLogin={() => setSession((n) => n + 1)} />
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
