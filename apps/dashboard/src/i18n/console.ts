/** Labels of the console screens (providers, model editing, profile, top-up, redemption), in both languages. */
export const consoleEn = {} as const;

export const consoleZh: Record<keyof typeof consoleEn, string> = {};
