import type { ENUMS } from '../enums.js';

/** One tool call of a streaming answer: the call as the model wrote it, then (once it ran) its result. */
export interface ToolStep {
  call_id: string;
  function: string;
  arguments: string;
  result?: { status: (typeof ENUMS.toolCallStatus)[number]; cost: number; latency_ms: number };
}

type ToolEvent =
  | { type: 'tool_call'; call_id: string; function: string; arguments: string }
  | { type: 'tool_result'; call_id: string; status: (typeof ENUMS.toolCallStatus)[number]; cost: number; latency_ms: number };

/** The steps after one tool_call or tool_result event of the chat stream (a result finds its call by call_id). */
export function applyToolEvent(steps: readonly ToolStep[], event: ToolEvent): ToolStep[] {
  if (event.type === 'tool_call') {
    return [...steps, { call_id: event.call_id, function: event.function, arguments: event.arguments }];
  }
  const result = { status: event.status, cost: event.cost, latency_ms: event.latency_ms };
  return steps.some((step) => step.call_id === event.call_id)
    ? steps.map((step) => (step.call_id === event.call_id ? { ...step, result } : step))
    : [...steps, { call_id: event.call_id, function: '?', arguments: '', result }];
}
