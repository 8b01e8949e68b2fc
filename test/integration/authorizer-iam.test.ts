import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBase62 } from '#core/base62';
import { signRequest } from '#core/signer';
import { AUTHORIZER_UPDATE_ATTRIBUTES } from '#core/table';
import { formatToken } from '#core/token';
import { createAuthorizerHandler } from '#lambda/handlers/authorizer';
import type { LocalMode } from '#local/local-mode';
import { authorizerEvent } from '../helpers/authorizer-event';
import { type Call, client, createKey, startTestLatchkey } from '../helpers/local';

/**
 * The stack allows the authorizer's UpdateItem only on the attributes of `AUTHORIZER_UPDATE_ATTRIBUTES`
 * (an IAM `dynamodb:Attributes` condition, held on the template by test/infra/stack.test.ts). A request
 * naming any other attribute would be refused by DynamoDB on AWS and lock every key out, so this test
 * records every write the authorizer sends to DynamoDB Local, over every outcome of both schemes, and
 * holds each attribute it names against the list with IAM's `StringLike` rules.
 */
interface UpdateRequest {
  Key?: Record<string, unknown>;
  UpdateExpression?: string;
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
}

const RESERVED = new Set([
  'SET',
  'REMOVE',
  'ADD',
  'DELETE',
  'AND',
  'OR',
  'NOT',
  'BETWEEN',
  'IN',
  'attribute_exists',
  'attribute_not_exists',
  'attribute_type',
  'begins_with',
  'contains',
  'size',
  'if_not_exists',
  'list_append',
]);

/** Every top-level attribute an UpdateItem request names: its key and both expressions. */
function attributesOf(update: UpdateRequest): string[] {
  const names = new Set(Object.keys(update.Key ?? {}));
  for (const expression of [update.UpdateExpression, update.ConditionExpression]) {
    const bare = (expression ?? '').replace(/:[A-Za-z0-9_]+/g, ' ');
    for (const token of bare.match(/#?[A-Za-z_][A-Za-z0-9_]*/g) ?? []) {
      if (RESERVED.has(token)) continue;
      const name = token.startsWith('#') ? update.ExpressionAttributeNames?.[token] : token;
      if (name === undefined) throw new Error(`unresolved placeholder ${token}`);
      names.add(name.split('.')[0] as string);
    }
  }
  return [...names];
}

/** IAM's StringLike: `*` matches any run of characters, everything else literally. */
const allowedBy = (name: string) =>
  AUTHORIZER_UPDATE_ATTRIBUTES.some((pattern) =>
    new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`).test(name),
  );
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

let local: LocalMode;
let call: Call;
let authorize: ReturnType<typeof createAuthorizerHandler>;
let capturing = false;
const updates: Array<{ command: string; update: UpdateRequest }> = [];

/** Runs the authorizer on a request, recording its writes; the outcome itself does not matter here. */
async function authorizeRecording(authorization: string, method = 'GET', path = '/v1/whoami'): Promise<void> {
  capturing = true;
  try {
    await authorize(authorizerEvent(authorization, method, path)).catch(() => undefined);
  } finally {
    capturing = false;
  }
}

const signed = (token: string, method = 'GET', path = '/v1/whoami') =>
  signRequest({ token, method, path: `/prod${path}` }).authorization;

beforeAll(async () => {
  local = await startTestLatchkey();
  call = client(local.url);
  local.runtime.dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      if (capturing) {
        const input = args.input as { TransactItems?: Array<{ Update?: UpdateRequest }> } & UpdateRequest;
        const command = context.commandName ?? 'unknown';
        if (command === 'UpdateItemCommand') updates.push({ command, update: input });
        for (const part of input.TransactItems ?? [])
          if (part.Update) updates.push({ command: `${command} Update`, update: part.Update });
      }
      return next(args);
    },
    { step: 'initialize', name: 'recordAuthorizerWrites' },
  );
  authorize = createAuthorizerHandler(local.runtime);
});
afterAll(() => local.stop());

describe("the authorizer's writes stay inside its IAM attribute list", () => {
  it('over allowed, refused, rate-limited, disabled and revoked uses of both schemes', async () => {
    const admin = local.adminKey;
    const k = await createKey(call, admin, { roles: ['member'], rate_limit_per_minute: 2 });
    await authorizeRecording(`Bearer ${k.token}`);
    await authorizeRecording(signed(k.token));
    await authorizeRecording(`Bearer ${k.token}`); // over the limit of 2
    await authorizeRecording(signed(k.token)); // over the limit: the signature is consumed alone
    await authorizeRecording(`Bearer ${formatToken('lk', k.id, randomBase62(43))}`);

    const paused = await createKey(call, admin, { roles: ['member'] });
    await call('PATCH', `/v1/keys/${paused.id}`, { token: admin, body: { enabled: false } });
    await authorizeRecording(`Bearer ${paused.token}`);
    await authorizeRecording(signed(paused.token, 'POST', '/v1/echo/x'));

    const revoked = await createKey(call, admin, { roles: ['member'] });
    await call('DELETE', `/v1/keys/${revoked.id}`, { token: admin });
    await authorizeRecording(`Bearer ${revoked.token}`);
    await authorizeRecording(signed(revoked.token));

    // A hot key (bounded mode, the default): its counts go out in one unconditional ADD per interval.
    const hot = await createKey(call, admin, { roles: ['member'], rate_limit_per_minute: 100_000 });
    for (let i = 0; i < 15; i++) await authorizeRecording(`Bearer ${hot.token}`);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const before = updates.length;
    await authorizeRecording(signed(hot.token));
    await authorizeRecording(`Bearer ${hot.token}`);
    expect(updates.slice(before).some((u) => u.update.UpdateExpression?.startsWith('ADD '))).toBe(true);

    const commands = new Set(updates.map((u) => u.command));
    expect(commands).toEqual(new Set(['UpdateItemCommand', 'TransactWriteItemsCommand Update']));
    const outside = updates.flatMap(({ command, update }) =>
      attributesOf(update)
        .filter((name) => !allowedBy(name))
        .map((name) => `${command}: ${name}`),
    );
    expect(outside).toEqual([]);
    // The check is live: the attributes that make a key what it is are outside the list.
    for (const name of ['permissions', 'roles', 'org_id', 'salt', 'name', 'metadata', 'gsi1pk'])
      expect(allowedBy(name), name).toBe(false);
    expect(allowedBy('rl_29000000')).toBe(true);
  });
});
