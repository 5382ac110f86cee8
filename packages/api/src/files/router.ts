import { router } from '../trpc.js';

export const filesRouter = router({});
