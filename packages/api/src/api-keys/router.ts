import { router } from '../trpc.js';

export const apiKeysRouter = router({});
