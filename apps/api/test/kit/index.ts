// The test kit: start a server on a fresh database, sign up users of each role, make catalogue
// records, talk HTTP, assert the error envelope, and run model calls against a mock upstream.
export * from './catalog.js';
export * from './chat-world.js';
export * from './community.js';
export * from './envelope.js';
export * from './http.js';
export * from './mock-upstream.js';
export * from './money.js';
export * from './redis.js';
export * from './server.js';
export * from './tools.js';
export * from './users.js';
export * from './local-model.js';
export * from './ports.js';
