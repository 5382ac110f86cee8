import { useEffect, useState } from 'react';

export const ROUTES = [
  'overview',
  'models',
  'apps',
  'keys',
  'wallet',
  'tools',
  'publish',
  'community',
  'profile',
  'providers',
  'admin',
] as const;
/** Screens only administrators see. */
export const ADMIN_ROUTES: readonly Route[] = ['providers', 'admin'];
/** Screens for developers and administrators (tool authors). */
export const AUTHOR_ROUTES: readonly Route[] = ['publish'];
export type Route = (typeof ROUTES)[number];

/** `#/apps/app_x` → { route: 'apps', param: 'app_x' }; anything unknown is the overview. */
export function parseHash(hash: string): { route: Route; param: string | null } {
  const [first, second] = hash.replace(/^#\/?/, '').split('/');
  const route = (ROUTES as readonly string[]).includes(first ?? '') ? (first as Route) : 'overview';
  return { route, param: second ? decodeURIComponent(second) : null };
}

export function useHashRoute() {
  const [hash, setHash] = useState(() => location.hash);
  useEffect(() => {
    const onChange = () => setHash(location.hash);
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return parseHash(hash);
}

export function navigate(route: Route, param?: string): void {
  location.hash = `#/${route}${param ? `/${encodeURIComponent(param)}` : ''}`;
}
