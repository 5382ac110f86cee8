import { it } from 'vitest';
import { streamChatCompletion, sendChatCompletion, closeUpstreamPools } from '../../src/providers/upstream/index.js';
import { startMockUpstream } from '../mock-upstream.js';
import { MESSAGES, makeTarget } from './target-fixture.js';
it('conn', async () => {
  const up = await startMockUpstream();
  const target = makeTarget({ baseUrl: up.url });
  for (let i = 0; i < 3; i++) {
    await sendChatCompletion(target, { model: 'x', messages: MESSAGES });
    console.log('after send', up.connections);
    const s = await streamChatCompletion(target, { model: 'x', messages: MESSAGES });
    for await (const c of s) {}
    console.log('after stream', up.connections);
    await new Promise((r) => setTimeout(r, 50));
  }
  await closeUpstreamPools({ force: true });
  await up.close();
});
