import { router } from '../trpc.js';

export const communityRouter = router({});
