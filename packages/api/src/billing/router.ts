import { router } from '../trpc.js';

export const billingRouter = router({});
