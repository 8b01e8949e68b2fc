/**
 * What an AWS `AccessDeniedException` says was denied, for the log line of the dependency failure it
 * causes: only the IAM action (`dynamodb:UpdateItem`), never the rest of the message (the role and
 * resource ARNs). AWS words the message "User: <arn> is not authorized to perform: <action> on resource:
 * <arn> because no identity-based policy allows the <action> action" (IAM User Guide, "Troubleshoot access
 * denied error messages"); built to that documentation, not verified on AWS. `latchkey doctor` reads the
 * action back to name the IAM statement that grants it.
 */

/** `AccessDeniedException (dynamodb:UpdateItem)` for an access-denied error naming its action; else the error's name. */
export function failureName(error: unknown): string {
  const name = error instanceof Error ? error.name : 'UnknownError';
  if (!/AccessDenied/.test(name) || !(error instanceof Error)) return name;
  const action = /not authorized to perform:? ([a-z0-9-]+:[A-Za-z0-9]+)/.exec(error.message)?.[1];
  return action === undefined ? name : `${name} (${action})`;
}
