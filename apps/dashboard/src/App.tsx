import { useQuery } from '@tanstack/react-query';
import { hasSession, useTRPC } from './client.js';
import type { MessageKey } from './i18n.js';
import { useI18n } from './locale.js';
import { ROUTES, useHashRoute } from './router.js';
import { LoginScreen } from './screens/Login.js';
import { lazy, Suspense } from 'react';

// One chunk per screen: the first load carries only the shell and the sign-in screen (the charts
// library, for one, is loaded with the overview).
const AdminScreen = lazy(() => import('./screens/Admin.js').then((m) => ({ default: m.AdminScreen })));
const AppsScreen = lazy(() => import('./screens/Apps.js').then((m) => ({ default: m.AppsScreen })));
const CommunityScreen = lazy(() => import('./screens/Community.js').then((m) => ({ default: m.CommunityScreen })));
const KeysScreen = lazy(() => import('./screens/Keys.js').then((m) => ({ default: m.KeysScreen })));
const ModelsScreen = lazy(() => import('./screens/Models.js').then((m) => ({ default: m.ModelsScreen })));
const OverviewScreen = lazy(() => import('./screens/Overview.js').then((m) => ({ default: m.OverviewScreen })));
const ToolsScreen = lazy(() => import('./screens/Tools.js').then((m) => ({ default: m.ToolsScreen })));
const WalletScreen = lazy(() => import('./screens/Wallet.js').then((m) => ({ default: m.WalletScreen })));
import { LanguageSwitch } from './language-switch.js';
import { ErrorBox, Loading } from './ui.js';

export function App({ onLogout, onLogin }: { onLogout: () => void; onLogin: () => void }) {
  if (!hasSession()) return <LoginScreen onLogin={onLogin} />;
  return <Shell onLogout={onLogout} />;
}

function Shell({ onLogout }: { onLogout: () => void }) {
  const trpc = useTRPC();
  const { t } = useI18n();
  const { route, param } = useHashRoute();
  const profile = useQuery(trpc.users.profile.queryOptions());
  const isAdmin = profile.data?.role === 'admin';
  const visible = ROUTES.filter((r) => r !== 'admin' || isAdmin);

  let content;
  if (profile.isPending) content = <Loading />;
  else if (profile.isError) content = <ErrorBox error={profile.error} onRetry={() => void profile.refetch()} />;
  else if (route === 'models') content = <ModelsScreen />;
  else if (route === 'apps') content = <AppsScreen appId={param} />;
  else if (route === 'keys') content = <KeysScreen />;
  else if (route === 'wallet') content = <WalletScreen />;
  else if (route === 'tools') content = <ToolsScreen />;
  else if (route === 'community') content = <CommunityScreen />;
  else if (route === 'admin') content = isAdmin ? <AdminScreen /> : <ErrorBox error={new Error(t('admin.forbidden'))} />;
  else content = <OverviewScreen />;

  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">{t('app.title')}</span>
        <nav aria-label={t('nav.main')}>
          {visible.map((r) => (
            <a key={r} href={`#/${r}`} className={r === route ? 'active' : undefined} aria-current={r === route ? 'page' : undefined}>
              {t(`nav.${r}` as MessageKey)}
            </a>
          ))}
        </nav>
        <div className="right">
          <LanguageSwitch />
          {profile.data && <span className="who">{profile.data.username}</span>}
          <button type="button" onClick={onLogout}>
            {t('nav.logout')}
          </button>
        </div>
      </header>
      <main>
        <Suspense fallback={<Loading />}>{content}</Suspense>
      </main>
    </div>
  );
}
