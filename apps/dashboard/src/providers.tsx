import { useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useCallback } from 'react';
import { I18nProvider } from './locale.js';

/** Switching language refetches everything so API messages come back in the new language. */
export function LocaleProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const onChange = useCallback(() => void queryClient.invalidateQueries(), [queryClient]);
  return <I18nProvider onChange={onChange}>{children}</I18nProvider>;
}
