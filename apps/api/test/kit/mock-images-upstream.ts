// A strict OpenAI images upstream: `POST /v1/images/generations` (JSON) and `POST /v1/images/edits`
// (multipart), checked as the real API checks them (Bearer key, path, content type, required
// fields, allowed values, unknown fields refused, image parts that really are images). Answers
// base64 PNGs of the asked size. The model picks the behaviour: `img-ok`, `img-fewer` (one image
// fewer than asked, at least one), `img-500`.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { solidPng } from './png.js';

export interface ImagesUpstreamRequest {
  path: string;
  headers: IncomingMessage['headers'];
  /** The JSON body, or a form's text fields. */
  fields: Record<string, unknown>;
  /** A form's file parts. */
  files: { field: string; type: string; bytes: number; filename: string }[];
}

const KNOWN_FIELDS = new Set([
  'model',
  'prompt',
  'n',
  'size',
  'quality',
  'style',
  'response_format',
  'user',
  'output_format',
  'background',
]);
const SIZES = new Set(['256x256', '512x512', '1024x1024', '1792x1024', '1024x1792', '1536x1024', '1024x1536', 'auto']);
const IMAGE_SIGNATURES: Record<string, number[]> = { 'image/png': [0x89, 0x50, 0x4e, 0x47], 'image/jpeg': [0xff, 0xd8, 0xff] };

class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function check(condition: unknown, message: string, status = 400): asserts condition {
  if (!condition) throw new Refusal(status, message);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function checkFields(fields: Record<string, unknown>, fromForm: boolean): number {
  for (const name of Object.keys(fields)) check(KNOWN_FIELDS.has(name), `Unrecognized request argument supplied: ${name}`);
  check(typeof fields.model === 'string' && fields.model.length > 0, 'model is required');
  check(typeof fields.prompt === 'string' && fields.prompt.length > 0, 'prompt is required');
  const n = fields.n === undefined ? 1 : fromForm ? Number(fields.n) : fields.n;
  check(typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 10, 'n must be an integer from 1 to 10');
  check(fields.size === undefined || SIZES.has(fields.size as string), `invalid size ${String(fields.size)}`);
  check(fields.response_format === undefined || ['url', 'b64_json'].includes(fields.response_format as string), 'invalid response_format');
  return n;
}

export async function startImagesUpstream(apiKey = 'sk-images-secret') {
  const requests: ImagesUpstreamRequest[] = [];
  const refusals: string[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse) {
    check(req.method === 'POST', 'method not allowed', 405);
    check(req.url === '/v1/images/generations' || req.url === '/v1/images/edits', `unknown path ${req.url}`, 404);
    check(req.headers.authorization === `Bearer ${apiKey}`, 'Incorrect API key provided', 401);
    const body = await readBody(req);
    const contentType = req.headers['content-type'] ?? '';
    const record: ImagesUpstreamRequest = { path: req.url, headers: req.headers, fields: {}, files: [] };
    if (req.url === '/v1/images/generations') {
      check(contentType.startsWith('application/json'), 'expected a JSON body');
      const json: unknown = JSON.parse(body.toString('utf8'));
      check(typeof json === 'object' && json !== null && !Array.isArray(json), 'body must be an object');
      record.fields = json as Record<string, unknown>;
      checkFields(record.fields, false);
    } else {
      check(/^multipart\/form-data; ?boundary=/.test(contentType), 'expected multipart/form-data with a boundary');
      const form = await new Request('http://upstream/', { method: 'POST', headers: { 'content-type': contentType }, body }).formData();
      for (const [name, value] of form.entries()) {
        if (typeof value === 'string') record.fields[name] = value;
        else record.files.push({ field: name, type: value.type, bytes: value.size, filename: value.name });
        if (typeof value !== 'string') {
          const head = new Uint8Array(await value.slice(0, 4).arrayBuffer());
          const signature = IMAGE_SIGNATURES[value.type];
          check(
            signature?.every((b, i) => head[i] === b),
            `${name} is not a valid ${value.type} image`,
          );
        }
      }
      checkFields(record.fields, true);
      const images = record.files.filter((f) => f.field === 'image' || f.field === 'image[]');
      check(images.length > 0 && images.length === record.files.filter((f) => f.field !== 'mask').length, 'image is required');
      const masks = record.files.filter((f) => f.field === 'mask');
      check(masks.length <= 1 && masks.every((m) => m.type === 'image/png'), 'mask must be one PNG');
    }
    requests.push(record);
    const model = record.fields.model as string;
    if (model === 'img-500') throw new Refusal(500, 'The server had an error while processing your request');
    check(record.fields.response_format === 'b64_json', 'this mock answers b64_json only');
    const size = typeof record.fields.size === 'string' && record.fields.size !== 'auto' ? record.fields.size : '256x256';
    const [width, height] = size.split('x').map(Number);
    const asked = Number(record.fields.n ?? 1);
    const count = model === 'img-fewer' ? Math.max(1, asked - 1) : asked;
    const data = Array.from({ length: count }, (_, i) => ({
      b64_json: solidPng(width!, height!, [i * 40, 100, 200]).toString('base64'),
      revised_prompt: `revised: ${String(record.fields.prompt)}`,
    }));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ created: Math.floor(Date.now() / 1000), data }));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const status = error instanceof Refusal ? error.status : 400;
      const message = error instanceof Error ? error.message : String(error);
      if (status < 500) refusals.push(message);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message, type: status >= 500 ? 'server_error' : 'invalid_request_error', code: null } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    apiKey,
    requests,
    refusals,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
