import type { Application as ApplicationRow, ApplicationConfigJson, Database } from '@maas/db';
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import type { Actor } from '../core/context.js';
import { AppError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { isAdmin, isOwnerOrAdmin } from '../core/ownership.js';
import { listPage } from '../core/pagination.js';
import type { Platform } from '../core/platform.js';
import { toIso } from '../core/time.js';
import { findUsableModel } from '../models/service.js';
import type { CreateApplicationInput, ListApplicationsInput, UpdateApplicationInput } from './schemas.js';

function applicationEndpoint(publicUrl: string, appId: string): string {
  return `${publicUrl}/api/v1/applications/${appId}/chat`;
}

function toApplication(publicUrl: string, row: ApplicationRow) {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    model_id: row.model_id,
    status: row.status,
    endpoint: applicationEndpoint(publicUrl, row.id),
    config: row.config,
    created_at: toIso(row.created_at),
    updated_at: toIso(row.updated_at),
  };
}

/** Another user's application is a 404, whether or not it exists. */
async function findAccessibleApplication(db: Kysely<Database>, actor: Actor, appId: string): Promise<ApplicationRow> {
  const row = await db.selectFrom('applications').selectAll().where('id', '=', appId).executeTakeFirst();
  if (!row || !isOwnerOrAdmin(actor, row.owner_id)) throw new AppError('NOT_FOUND', { message: 'APP_NOT_FOUND' });
  return row;
}

export async function listApplications(platform: Platform, actor: Actor, input: z.infer<typeof ListApplicationsInput>) {
  if (input.all && !isAdmin(actor)) throw new AppError('FORBIDDEN', { message: 'APPS_ALL_ADMIN_ONLY' });
  let query = platform.db.selectFrom('applications');
  if (!input.all) query = query.where('owner_id', '=', actor.userId);
  return listPage(input, { rows: query.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc'), count: query }, (row) =>
    toApplication(platform.config.publicUrl, row),
  );
}

export async function getApplication(platform: Platform, actor: Actor, appId: string) {
  return toApplication(platform.config.publicUrl, await findAccessibleApplication(platform.db, actor, appId));
}

export async function createApplication(platform: Platform, actor: Actor, input: z.infer<typeof CreateApplicationInput>) {
  await findUsableModel(platform.db, actor, input.model_id);
  const row = await platform.db
    .insertInto('applications')
    .values({
      id: newId('app'),
      owner_id: actor.userId,
      name: input.name,
      description: input.description,
      model_id: input.model_id,
      status: 'running',
      config: JSON.stringify(input.config),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toApplication(platform.config.publicUrl, row);
}

export async function updateApplication(platform: Platform, actor: Actor, input: z.infer<typeof UpdateApplicationInput>) {
  const current = await findAccessibleApplication(platform.db, actor, input.app_id);
  if (input.model_id !== undefined && input.model_id !== current.model_id) await findUsableModel(platform.db, actor, input.model_id);
  const changes = {
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(input.description !== undefined ? { description: input.description } : {}),
    ...(input.model_id !== undefined ? { model_id: input.model_id } : {}),
    ...(input.config !== undefined ? { config: JSON.stringify(input.config) } : {}),
    ...(input.status !== undefined ? { status: input.status } : {}),
  };
  const row = await platform.db
    .updateTable('applications')
    .set({ ...changes, updated_at: new Date() })
    .where('id', '=', current.id)
    .returningAll()
    .executeTakeFirst();
  platform.applications.forget(current.id);
  if (!row) throw new AppError('NOT_FOUND', { message: 'APP_NOT_FOUND' });
  return toApplication(platform.config.publicUrl, row);
}

/** Deletes the application with its conversations and messages (foreign keys cascade). */
export async function deleteApplication(platform: Platform, actor: Actor, appId: string) {
  const current = await findAccessibleApplication(platform.db, actor, appId);
  await platform.db.deleteFrom('applications').where('id', '=', current.id).execute();
  platform.applications.forget(current.id);
  return { id: current.id, deleted: true as const };
}

// ---- The chat hot path ------------------------------------------------------------------------

/** An application as a chat call needs it. */
export interface ApplicationForChat {
  id: string;
  ownerId: string;
  name: string;
  model_id: string;
  config: ApplicationConfigJson;
  /** Whether tools are attached (as cached: another instance's change is seen within the TTL). */
  hasTools: boolean;
}

/**
 * The application a chat message is for. Only its owner may chat with it (anyone else: 404, as if
 * it did not exist); a stopped application is a 409 APP_STOPPED.
 */
export async function getApplicationForChat(platform: Platform, appId: string, actor: Actor): Promise<ApplicationForChat> {
  const app = await platform.applications.lookup(appId);
  if (!app || app.ownerId !== actor.userId) throw new AppError('NOT_FOUND', { message: 'APP_NOT_FOUND' });
  if (app.status === 'stopped') throw new AppError('CONFLICT', { message: 'APP_STOPPED', details: { app_id: app.id, status: app.status } });
  return { id: app.id, ownerId: app.ownerId, name: app.name, model_id: app.modelId, config: app.config, hasTools: app.hasTools };
}
