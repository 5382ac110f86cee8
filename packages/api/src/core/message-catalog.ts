/** A message in each supported language. zh-CN is the default and uses the contract's wording. */
export interface LocalizedMessage {
  'zh-CN': string;
  en: string;
}
export type MessageCatalog = Record<string, LocalizedMessage>;
