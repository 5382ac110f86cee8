import type { Migration } from 'kysely';
import * as m0001 from './0001_users_and_sessions.js';
import * as m0002 from './0002_wallets_and_ledger.js';
import * as m0003 from './0003_providers_models_files.js';
import * as m0004 from './0004_applications_conversations.js';
import * as m0005 from './0005_api_keys_usage.js';
import * as m0006 from './0006_tools_marketplace.js';
import * as m0007 from './0007_community.js';
import * as m0008 from './0008_audit_log.js';
import * as m0009 from './0009_wallet_leases.js';
import * as m0010 from './0010_provider_price_floor.js';
import * as m0011 from './0011_inference_layer.js';
import * as m0012 from './0012_model_operations.js';
import * as m0013 from './0013_media.js';
import * as m0014 from './0014_video_jobs.js';
import * as m0015 from './0015_billing_instances.js';
import * as m0017 from './0017_model_deployments.js';
import * as m0018 from './0018_message_attachments.js';
import * as m0019 from './0019_tool_runtime.js';
import * as m0020 from './0020_wallet_top_ups.js';
import * as m0022 from './0022_list_sort_indexes.js';
import * as m0024 from './0024_api_key_allowed_tools.js';

// A static list rather than a folder scan: it works the same under tsx, vitest and a bundler.
export const migrations: Record<string, Migration> = {
  '0001_users_and_sessions': m0001,
  '0002_wallets_and_ledger': m0002,
  '0003_providers_models_files': m0003,
  '0004_applications_conversations': m0004,
  '0005_api_keys_usage': m0005,
  '0006_tools_marketplace': m0006,
  '0007_community': m0007,
  '0008_audit_log': m0008,
  '0009_wallet_leases': m0009,
  '0010_provider_price_floor': m0010,
  '0011_inference_layer': m0011,
  '0012_model_operations': m0012,
  '0013_media': m0013,
  '0014_video_jobs': m0014,
  '0015_billing_instances': m0015,
  '0017_model_deployments': m0017,
  '0018_message_attachments': m0018,
  '0019_tool_runtime': m0019,
  '0020_wallet_top_ups': m0020,
  '0022_list_sort_indexes': m0022,
  '0024_api_key_allowed_tools': m0024,
};
