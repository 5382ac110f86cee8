// API keys, model-call reservations and usage records (issue 3, parts 5 and 7).
export interface ApiKeysTables {}
