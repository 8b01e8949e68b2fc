// The orders routes of examples/cdk-app: the authorizer has already checked the key and its permission
// (orders:read or orders:write); this handler checks a signed body and reads who is calling.
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { checkSignedBody, getCaller } from 'latchkey/integration';

const json = (statusCode: number, body: unknown): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

export const handler = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  const refused = checkSignedBody(event);
  if (refused) return refused;
  const caller = getCaller(event);
  if (caller === null) return json(401, { error: 'not behind the latchkey authorizer' });
  // op_ metadata is set by the admin key only: fit for decisions. Other entries are the tenant's text.
  const plan = caller.metadata.op_plan ?? 'free';
  if (event.httpMethod === 'POST') {
    return json(201, { order: JSON.parse(event.body ?? '{}'), org: caller.orgId, plan });
  }
  return json(200, { orders: [], org: caller.orgId, id: event.pathParameters?.id ?? null });
};
