export declare const INITIAL_JS_BUDGET: number;
export declare function initialJs(dist: string, alsoLoaded?: string[]): { files: string[]; gzipBytes: number };
