import { router } from '../trpc.js';

export const providersRouter = router({});
