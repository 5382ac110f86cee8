// Models served from their own uploaded GGUF file on the local runtime (issue 15): the tiny model
// the platform generates, uploaded with purpose=model, created as in the contract, and awaited.
import { makeTinyModel } from '@maas/api';
import type { ApiClient } from './http.js';

let tinyModel: Buffer | undefined;

/** The generated tiny model's bytes (same every time). */
export function tinyModelBytes(): Buffer {
  return (tinyModel ??= makeTinyModel());
}

/** `POST /api/v1/files` with purpose=model (the field before the file, as OpenAI's API takes it). */
export async function uploadModelFile(baseUrl: string, token: string, bytes: Uint8Array = tinyModelBytes(), filename = 'tiny.gguf') {
  const form = new FormData();
  form.append('purpose', 'model');
  form.append('file', new Blob([new Uint8Array(bytes)], { type: 'application/octet-stream' }), filename);
  const response = await fetch(`${baseUrl}/api/v1/files`, { method: 'POST', body: form, headers: { authorization: `Bearer ${token}` } });
  const text = await response.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep the text
  }
  return { status: response.status, body };
}

/** The contract's "My Custom Model": a model_file, a config, no routes. */
export async function createFileModel(api: ApiClient, token: string, fileId: string, overrides: Record<string, unknown> = {}) {
  const res = await api.post(
    '/api/v1/models',
    {
      name: `custom-${Math.random().toString(36).slice(2, 8)}`,
      description: 'served from its own file',
      category: 'text',
      model_file: fileId,
      config: { max_tokens: 32, temperature: 0 },
      pricing: { input_tokens: 0.000002, output_tokens: 0.000004 },
      ...overrides,
    },
    token,
  );
  if (res.status !== 201) throw new Error(`model: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; name: string; deployment: { state: string } };
}

/** Polls GET /models/{id} until its deployment leaves `deploying`; returns the model. */
export async function waitForDeployment(api: ApiClient, token: string, modelId: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await api.get(`/api/v1/models/${modelId}`, token);
    if (res.body?.deployment?.state !== 'deploying') return res.body;
    if (Date.now() > deadline) throw new Error(`model ${modelId} still deploying after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
