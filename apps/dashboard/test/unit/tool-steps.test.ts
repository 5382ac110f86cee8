import { describe, expect, it } from 'vitest';
import { applyToolEvent } from '../../src/screens/tool-steps.js';

describe('playground tool steps', () => {
  it('adds a call, then completes it with its result by call_id', () => {
    let steps = applyToolEvent([], { type: 'tool_call', call_id: 'c1', function: 'calc', arguments: '{"x":1}' });
    steps = applyToolEvent(steps, { type: 'tool_call', call_id: 'c2', function: 'clock', arguments: '{}' });
    steps = applyToolEvent(steps, { type: 'tool_result', call_id: 'c1', status: 'success', cost: 0.01, latency_ms: 12 });
    expect(steps).toEqual([
      { call_id: 'c1', function: 'calc', arguments: '{"x":1}', result: { status: 'success', cost: 0.01, latency_ms: 12 } },
      { call_id: 'c2', function: 'clock', arguments: '{}' },
    ]);
  });

  it('keeps a result whose call it never saw', () => {
    const steps = applyToolEvent([], { type: 'tool_result', call_id: 'c9', status: 'timeout', cost: 0, latency_ms: 5000 });
    expect(steps).toEqual([{ call_id: 'c9', function: '?', arguments: '', result: { status: 'timeout', cost: 0, latency_ms: 5000 } }]);
  });
});
