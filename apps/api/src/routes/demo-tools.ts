import { answerDemoCalculator, DEMO_CALCULATOR_PATH, DEMO_CLOCK_PATH, handleDemoClock, type Platform } from '@maas/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * The demo marketplace's two tools, served on the platform's own port (issue 16 part 7): the
 * calculator (`http`, signed calls) and the clock (`mcp`, Streamable HTTP). The seeded tools point
 * here, so `pnpm start` runs a whole tool loop with no network.
 */
export async function registerDemoToolRoutes(app: FastifyInstance, platform: Platform): Promise<void> {
  app.post(DEMO_CALCULATOR_PATH, async (request, reply) => {
    const answer = await answerDemoCalculator(platform, request.headers, request.jsonText ?? '');
    return reply.status(answer.status).send(answer.body);
  });
  const clock = async (request: FastifyRequest, reply: FastifyReply) => {
    reply.hijack();
    await handleDemoClock(request.raw, reply.raw, request.body);
  };
  app.post(DEMO_CLOCK_PATH, clock);
  app.get(DEMO_CLOCK_PATH, clock);
  app.delete(DEMO_CLOCK_PATH, clock);
}
