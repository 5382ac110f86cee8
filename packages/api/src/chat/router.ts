import { router } from '../trpc.js';

// Wired up once the models and applications services land.
export const chatRouter = router({});
