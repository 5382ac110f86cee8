// Applications, conversations and messages (issue 3, parts 3–4).
export interface ApplicationsTables {}
