import { adminProcedure, router } from '../trpc.js';
import { AuditList, ListAuditInput, listAuditLog } from './audit.js';

export const adminRouter = router({
  auditLog: adminProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/admin/audit-log',
        tags: ['admin'],
        protect: true,
        summary: 'Admin actions and money movements',
        description:
          'Paginated, newest first: every admin action (who, what, on which object, the result) and every money movement; filter by actor, action, target or date.',
      },
    })
    .input(ListAuditInput)
    .output(AuditList)
    .query(({ ctx, input }) => listAuditLog(ctx.platform.db, input)),
});
