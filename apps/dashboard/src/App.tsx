import { useQuery } from '@tanstack/react-query';
import { hasSession, useTRPC } from './client.js';
import type { MessageKey } from './i18n.js';
import { useI18n } from './locale.js';
import { ADMIN_ROUTES, AUTHOR_ROUTES, ROUTES, useHashRoute } from './router.js';
import { LoginScreen } from './screens/Login.js';
import { lazy, Suspense, useState } from 'react';

// One chunk per screen: the first load carries only the shell and the sign-in screen (the charts
// library, for one, is loaded with the overview).
const AdminScreen = lazy(() => import('./screens/Admin.js').then((m) => ({ default: m.AdminScreen })));
const AppsScreen = lazy(() => import('./screens/Apps.js').then((m) => ({ default: m.AppsScreen })));
const CommunityScreen = lazy(() => import('./screens/Community.js').then((m) => ({ default: m.CommunityScreen })));
const KeysScreen = lazy(() => import('./screens/Keys.js').then((m) => ({ default: m.KeysScreen })));
const ModelsScreen = lazy(() => import('./screens/Models.js').then((m) => ({ default: m.ModelsScreen })));
const OverviewScreen = lazy(() => import('./screens/Overview.js').then((m) => ({ default: m.OverviewScreen })));
const ToolAuthorScreen = lazy(() => import('./screens/ToolAuthor.js').then((m) => ({ default: m.ToolAuthorScreen })));
const ToolsScreen = lazy(() => import('./screens/Tools.js').then((m) => ({ default: m.ToolsScreen })));
const ProfileScreen = lazy(() => import('./screens/Profile.js').then((m) => ({ default: m.ProfileScreen })));
const ProvidersScreen = lazy(() => import('./screens/Providers.js').then((m) => ({ default: m.ProvidersScreen })));
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
  const isAuthor = isAdmin || profile.data?.role === 'developer';
  const visible = ROUTES.filter(
    (r) => r !== 'profile' && (!ADMIN_ROUTES.includes(r) || isAdmin) && (!AUTHOR_ROUTES.includes(r) || isAuthor),
  );
  const [menuOpen, setMenuOpen] = useState(false);

  let content;
  if (profile.isPending) content = <Loading />;
  else if (profile.isError) content = <ErrorBox error={profile.error} onRetry={() => void profile.refetch()} />;
  else if (route === 'models') content = <ModelsScreen />;
  else if (route === 'apps') content = <AppsScreen appId={param} />;
  else if (route === 'keys') content = <KeysScreen />;
  else if (route === 'wallet') content = <WalletScreen />;
  else if (route === 'tools') content = <ToolsScreen />;
  else if (route === 'community') content = <CommunityScreen />;
  else if (route === 'profile') content = <ProfileScreen />;
  else if (route === 'publish' && isAuthor) content = <ToolAuthorScreen toolId={param} />;
  else if ((ADMIN_ROUTES.includes(route) && !isAdmin) || route === 'publish')
    content = <ErrorBox error={new Error(t('admin.forbidden'))} />;
  else if (route === 'providers') content = <ProvidersScreen />;
  else if (route === 'admin') content = <AdminScreen />;
  else content = <OverviewScreen />;

  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">{t('app.title')}</span>
        <button
          type="button"
          className="menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="main-nav"
          onClick={() => setMenuOpen(!menuOpen)}
        >
          {t('nav.menu')}
        </button>
        <nav id="main-nav" aria-label={t('nav.main')} className={menuOpen ? 'open' : undefined} onClick={() => setMenuOpen(false)}>
          {visible.map((r) => (
            <a key={r} href={`#/${r}`} className={r === route ? 'active' : undefined} aria-current={r === route ? 'page' : undefined}>
              {t(`nav.${r}` as MessageKey)}
            </a>
          ))}
        </nav>
        <div className="right">
          <LanguageSwitch />
          {profile.data && (
            <a className="who" href="#/profile" title={t('nav.profile')} aria-current={route === 'profile' ? 'page' : undefined}>
              {profile.data.username}
            </a>
          )}
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
