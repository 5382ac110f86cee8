import { useQuery } from '@tanstack/react-query';
import { hasSession, useTRPC } from './client.js';
import type { MessageKey } from './i18n.js';
import { useI18n } from './locale.js';
import { ROUTES, useHashRoute } from './router.js';
import { AdminScreen } from './screens/Admin.js';
import { AppsScreen } from './screens/Apps.js';
import { CommunityScreen } from './screens/Community.js';
import { KeysScreen } from './screens/Keys.js';
import { LoginScreen } from './screens/Login.js';
import { ModelsScreen } from './screens/Models.js';
import { OverviewScreen } from './screens/Overview.js';
import { ToolsScreen } from './screens/Tools.js';
import { WalletScreen } from './screens/Wallet.js';
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
      <main>{content}</main>
    </div>
  );
}
