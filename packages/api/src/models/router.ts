import { router } from '../trpc.js';

export const modelsRouter = router({});
