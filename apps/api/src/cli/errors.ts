/** A command that cannot do what it was asked: printed as is, exit code 1. */
export class CliError extends Error {
  override name = 'CliError';
}

/** Bad command line (unknown command or option, missing value): printed with a hint, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** One line for any failure: the API's own code and message (and the offending field) for its errors. */
export async function describeFailure(error: unknown): Promise<string> {
  if (error instanceof CliError || error instanceof UsageError) return error.message;
  const { describeError } = await import('@maas/api');
  const body = describeError(error, 'en');
  if (body.code === 'INTERNAL_ERROR') return error instanceof Error ? error.message : String(error);
  const field =
    typeof body.details?.field === 'string' && body.details.field
      ? ` (${body.details.field}${typeof body.details.reason === 'string' ? `: ${body.details.reason}` : ''})`
      : '';
  return `${body.code}: ${body.message}${field}`;
}
