export * from './create-database.js';
export * from './migrate.js';
export * from './schema/index.js';
export * from './provider-kinds.js';
export * from './notifications.js';
