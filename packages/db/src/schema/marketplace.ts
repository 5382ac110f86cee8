// Tools, orders, licences and reviews (issue 4).
export interface MarketplaceTables {}
