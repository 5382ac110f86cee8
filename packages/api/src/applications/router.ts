import { router } from '../trpc.js';

export const applicationsRouter = router({});
