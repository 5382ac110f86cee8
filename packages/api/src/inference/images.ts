// The image operations (issue 14) on the shared operation path: reserve n × the model's dearest
// image price, generate (or edit) on the first provider that can, store every image as a file owned
// by the caller, then bill what was delivered: the images at the price of their size and quality.
// Storing comes before settlement, so a call whose images could not be kept costs nothing.
import type { Actor } from '../core/context.js';
import { AppError } from '../core/errors.js';
import type { Platform } from '../core/platform.js';
import { deleteFile, storeGenerated } from '../files/service.js';
import type { CallOutcome } from './engine.js';
import type { GeneratedImage, ImageEditRequest, ImageGenerationRequest, ImagesResult } from './media-types.js';
import { type OperationBill, type OperationCallInput, prepareOperationCall, runOperationCall } from './operation-call.js';
import { assertQuantity, imagePrice, largestImagePrice } from './units.js';

/** OpenAI's own bound on `n`. */
export const MAX_IMAGES_PER_CALL = 10;

export type ImageCall =
  { operation: 'image_generation'; request: ImageGenerationRequest } | { operation: 'image_edit'; request: ImageEditRequest };

/** One delivered image: the stored file, and the bytes (for a b64_json answer). */
export interface DeliveredImage {
  fileId: string;
  contentType: string;
  width: number;
  height: number;
  bytes: Uint8Array;
  revisedPrompt?: string;
}

export interface ImagesCallResult {
  images: DeliveredImage[];
  outcome: CallOutcome;
  /** The size the images were billed at (`WIDTHxHEIGHT`). */
  size: string;
}

const EXTENSION: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' };

function mismatch(reason: string): AppError {
  return new AppError('UPSTREAM_ERROR', { message: 'MEDIA_RESULT_MISMATCH', params: { reason } });
}

/** Stores the images for the caller; if one cannot be stored, the ones already kept go too. */
async function storeImages(platform: Platform, actor: Actor, images: GeneratedImage[], prompt: string): Promise<DeliveredImage[]> {
  const delivered: DeliveredImage[] = [];
  try {
    for (const [index, image] of images.entries()) {
      const file = await storeGenerated(platform, actor.userId, {
        bytes: image.bytes,
        contentType: image.contentType,
        filename: `image-${index + 1}.${EXTENSION[image.contentType] ?? 'bin'}`,
        metadata: {
          width: image.width,
          height: image.height,
          prompt: prompt.slice(0, 1_000),
          ...(image.revisedPrompt ? { revised_prompt: image.revisedPrompt } : {}),
        },
      });
      delivered.push({
        fileId: file.id,
        contentType: file.content_type,
        width: image.width,
        height: image.height,
        bytes: image.bytes,
        ...(image.revisedPrompt ? { revisedPrompt: image.revisedPrompt } : {}),
      });
    }
    return delivered;
  } catch (error) {
    await Promise.allSettled(delivered.map((image) => deleteFile(platform, actor, image.fileId)));
    throw error;
  }
}

/**
 * Generates or edits images and settles the call. A provider may deliver fewer images than asked
 * (each is billed), never none and never more.
 */
export async function callImages(platform: Platform, input: OperationCallInput, call: ImageCall): Promise<ImagesCallResult> {
  const { request } = call;
  assertQuantity(request.n, MAX_IMAGES_PER_CALL, 'n');
  const prepared = await prepareOperationCall(platform, input, call.operation, {
    reserve: (model) => BigInt(request.n) * largestImagePrice(model.pricing.units),
  });
  let billedSize = request.size ?? '';
  const { delivered, outcome } = await runOperationCall(platform, prepared, {
    attempt: (adapter, target, ctx): Promise<ImagesResult> => {
      const unavailable = () => new AppError('SERVICE_UNAVAILABLE', { message: 'MODEL_NO_ROUTE', params: { model: prepared.model.name } });
      if (call.operation === 'image_generation') {
        if (!adapter.generateImages) throw unavailable();
        return adapter.generateImages(target, { request: call.request, upstreamModel: target.upstreamModel }, ctx);
      }
      if (!adapter.editImages) throw unavailable();
      return adapter.editImages(target, { request: call.request, upstreamModel: target.upstreamModel }, ctx);
    },
    deliver: (result) => {
      if (result.images.length === 0) return Promise.reject(mismatch('no image'));
      if (result.images.length > request.n) return Promise.reject(mismatch(`${result.images.length} images for n=${request.n}`));
      return storeImages(platform, input.actor, result.images, request.prompt);
    },
    bill: (result, images): OperationBill => {
      const units = prepared.model.pricing.units;
      // Priced at the size asked for, or (without one) at the size the provider made.
      billedSize ||= `${images[0]!.width}x${images[0]!.height}`;
      const bill: OperationBill = {
        units: { unit: 'image', images: images.length, unitPriceNano: imagePrice(units, billedSize, request.quality) },
      };
      // A model with no image price is billed by the tokens its provider reports (gpt-image-1 style), if any.
      if (largestImagePrice(units) === 0n && result.usage) bill.usage = result.usage;
      return bill;
    },
  });
  return { images: delivered, outcome, size: billedSize };
}
