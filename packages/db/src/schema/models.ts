// Providers, model catalogue, routes and uploaded files (issue 3, parts 1–2).
export interface ModelsTables {}
