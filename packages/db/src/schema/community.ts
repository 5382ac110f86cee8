// Posts, likes and comments (issue 4).
export interface CommunityTables {}
