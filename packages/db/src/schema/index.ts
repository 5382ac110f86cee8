import type { ApiKeysTables } from './api-keys.js';
import type { ApplicationsTables } from './applications.js';
import type { AuditTables } from './audit.js';
import type { BillingTables } from './billing.js';
import type { CommunityTables } from './community.js';
import type { DeploymentsTables } from './deployments.js';
import type { MarketplaceTables } from './marketplace.js';
import type { ToolRuntimeTables } from './tool-runtime.js';
import type { ModelsTables } from './models.js';
import type { UsersTables } from './users.js';
import type { VideosTables } from './videos.js';

export * from './api-keys.js';
export * from './applications.js';
export * from './audit.js';
export * from './billing.js';
export * from './community.js';
export * from './deployments.js';
export * from './marketplace.js';
export * from './models.js';
export * from './tool-runtime.js';
export * from './users.js';
export * from './videos.js';

/** Every table, composed from one interface per domain so domains can grow independently. */
export interface Database
  extends
    UsersTables,
    BillingTables,
    ModelsTables,
    ApplicationsTables,
    ApiKeysTables,
    MarketplaceTables,
    CommunityTables,
    AuditTables,
    VideosTables,
    DeploymentsTables,
    ToolRuntimeTables {}
