// Catalogue records made over the REST API: providers, models, applications and uploaded files.
import type { ApiClient } from './http.js';

let counter = 0;
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 7)}`;
}

export async function createProvider(api: ApiClient, adminToken: string, overrides: Record<string, unknown> = {}) {
  const res = await api.post(
    '/api/v1/providers',
    { name: uniqueName('prov'), kind: 'openai-compatible', base_url: 'http://127.0.0.1:9/v1', api_key: 'sk-upstream-secret', ...overrides },
    adminToken,
  );
  if (res.status !== 201) throw new Error(`provider: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; name: string };
}

export async function createModel(api: ApiClient, token: string, overrides: Record<string, unknown> = {}) {
  const res = await api.post(
    '/api/v1/models',
    { name: uniqueName('model'), description: 'a test model', category: 'text', visibility: 'public', ...overrides },
    token,
  );
  if (res.status !== 201) throw new Error(`model: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; name: string; [key: string]: unknown };
}

export async function createApp(api: ApiClient, token: string, modelId: string, config: Record<string, unknown> = {}) {
  const res = await api.post(
    '/api/v1/applications',
    {
      name: 'writer',
      description: 'test app',
      model_id: modelId,
      config: { max_tokens: 100, temperature: 0.5, system_prompt: 'You are a test assistant.', ...config },
    },
    token,
  );
  if (res.status !== 201) throw new Error(`app: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; endpoint: string };
}

/** A multipart upload with fetch's own FormData, as a browser would send it. */
export async function upload(
  baseUrl: string,
  token: string | undefined,
  content: Uint8Array<ArrayBuffer> | string,
  filename = 'weights.bin',
  type = 'application/octet-stream',
) {
  const form = new FormData();
  form.append('file', new Blob([content], { type }), filename);
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const response = await fetch(`${baseUrl}/api/v1/files`, { method: 'POST', body: form, headers });
  const text = await response.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep text
  }
  return { status: response.status, headers: response.headers, body };
}
