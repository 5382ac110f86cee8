// The mock OpenAI-compatible upstream lives in packages/api/test (its own tests use it too); the kit serves it to the app's tests.
export * from '@maas/api/testing/mock-upstream';
