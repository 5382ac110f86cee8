import { router } from '../trpc.js';

export const toolsRouter = router({});
