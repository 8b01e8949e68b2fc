/**
 * verify: the authorizer handler called in-process against DynamoDB Local, next to the bare DynamoDB
 * round trips each path cannot avoid, measured with the same client in the same run, interleaved.
 */
import { randomBytes } from 'node:crypto';
import {
  type AttributeValue,
  GetItemCommand,
  type GetItemCommandInput,
  PutItemCommand,
  TransactWriteItemsCommand,
  type TransactWriteItemsCommandInput,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { randomBase62 } from '#core/base62';
import { signRequest } from '#core/signer';
import { usageDayAttribute } from '#core/table';
import { formatToken, newKeyId } from '#core/token';
import { utcDay } from '#core/usage';
import { createAuthorizerHandler } from '#lambda/handlers/authorizer';
import { itemSize, nowMs, percentile, progress, round } from './lib';
import { authorizerEvent, type Bench, type BenchKey, signedPath } from './setup';

type Item = Record<string, AttributeValue>;

export interface LatencyFigures {
  p50_ms: number;
  p99_ms: number;
  mean_ms: number;
}

export interface PathFigures extends LatencyFigures {
  /** The floor: GetItem (bearer), GetItem + conditional PutItem (signed). */
  floor_p50_ms: number;
  floor_p99_ms: number;
  ratio_p50: number;
  /** The identical request(s) the authorizer sends (captured from the SDK), replayed bare. */
  same_ops_floor_p50_ms: number;
  same_ops_floor_p99_ms: number;
  same_ops_ratio_p50: number;
  ddb_calls: number;
  ddb_commands: string[];
}

export interface VerifyFigures {
  iterations: number;
  bearer: PathFigures;
  signed: PathFigures;
  floors: Record<string, LatencyFigures>;
  malformed: { ddb_calls: number; cases: Record<string, number> };
  bad_signature: { ddb_calls: number; writes: number; commands: string[] };
  wrong_secret: { ddb_calls: number; commands: string[] };
  key_item_bytes: number;
  /** The key item with yesterday's usage counter not yet rolled up (the worst case before the roll-up). */
  key_item_bytes_unrolled_day: number;
  replay_item_bytes: number;
}

const latency = (samples: number[]): LatencyFigures => ({
  p50_ms: round(percentile(samples, 50), 3),
  p99_ms: round(percentile(samples, 99), 3),
  mean_ms: round(samples.reduce((a, b) => a + b, 0) / samples.length, 3),
});

const WRITE_COMMANDS = new Set(['PutItemCommand', 'UpdateItemCommand', 'TransactWriteItemsCommand']);

export async function benchVerify(
  bench: Bench,
  options: { iterations: number; warmup: number },
): Promise<{ figures: VerifyFigures; durations: { bearer: number[]; signed: number[] } }> {
  const { local, ddbCalls } = bench;
  const dynamo = local.runtime.dynamo;
  const TableName = local.tableName;
  const authorize = createAuthorizerHandler(local.runtime);

  const bearerKey = await bench.createKey({ name: 'bench bearer' });
  const signedKey = await bench.createKey({ name: 'bench signed' });
  const keyOf = (k: BenchKey): Item => ({ pk: { S: `KEY#${k.id}` }, sk: { S: 'KEY' } });

  // Floor items: copies of a real key item (same size, same attributes) under keys of their own.
  const keyItem = (
    await dynamo.send(new GetItemCommand({ TableName, Key: keyOf(bearerKey), ConsistentRead: true }))
  ).Item as Item;
  const copy = async (pk: string) => {
    await dynamo.send(new PutItemCommand({ TableName, Item: { ...keyItem, pk: { S: pk } } }));
    return { pk: { S: pk }, sk: { S: 'KEY' } } as Item;
  };
  const updateFloorKey = await copy('FLOOR#update');
  const txnFloorKey = await copy('FLOOR#txn');
  const replayItem = (pk: string): Item => ({
    pk: { S: pk },
    sk: { S: 'REPLAY' },
    ttl: { N: String(Math.floor(Date.now() / 1000) + 600) },
  });

  const bearerEvent = authorizerEvent(`Bearer ${bearerKey.token}`, 'GET', '/v1/echo/x');
  const signedEvent = () =>
    authorizerEvent(
      signRequest({ token: signedKey.token, method: 'GET', path: signedPath('/v1/echo/x') }).authorization,
      'GET',
      '/v1/echo/x',
    );

  // The same-ops floors replay the exact requests the authorizer sends (captured from the SDK), so
  // they stay identical to whatever the store does, against copies of the key item.
  const captured = new Map<string, unknown>();
  let capturing = false;
  dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      if (capturing) captured.set(context.commandName ?? 'unknown', structuredClone(args.input));
      return next(args);
    },
    { step: 'initialize', name: 'benchCaptureRequests' },
  );
  capturing = true;
  await authorize(bearerEvent);
  await authorize(signedEvent());
  capturing = false;
  const updateInput = captured.get('UpdateItemCommand') as UpdateItemCommandInput | undefined;
  const getInput = captured.get('GetItemCommand') as GetItemCommandInput | undefined;
  const txnInput = captured.get('TransactWriteItemsCommand') as TransactWriteItemsCommandInput | undefined;
  if (!updateInput || !getInput || !txnInput) {
    throw new Error(`unexpected authorizer requests: ${[...captured.keys()].join(', ')}`);
  }
  /** The same pk with its last 16 characters made unique (same size, never seen before). */
  const fresh = (pk: AttributeValue | undefined): AttributeValue => {
    const value = pk?.S ?? 'FLOOR#';
    return { S: `${value.slice(0, Math.max(0, value.length - 16))}${randomBytes(8).toString('hex')}` };
  };
  const nonceFloorPut = txnInput.TransactItems?.find((t) => t.Put)?.Put;
  if (!nonceFloorPut?.Item) throw new Error('the signed transaction has no Put');

  const getFloor = () => dynamo.send(new GetItemCommand(getInput));
  const updateFloor = () => dynamo.send(new UpdateItemCommand({ ...updateInput, Key: updateFloorKey }));
  const putFloor = () =>
    dynamo.send(
      new PutItemCommand({
        TableName: nonceFloorPut.TableName,
        Item: { ...nonceFloorPut.Item, pk: fresh(nonceFloorPut.Item?.pk) },
        ConditionExpression: nonceFloorPut.ConditionExpression,
        ExpressionAttributeNames: nonceFloorPut.ExpressionAttributeNames,
        ExpressionAttributeValues: nonceFloorPut.ExpressionAttributeValues,
      }),
    );
  const txnFloor = () =>
    dynamo.send(
      new TransactWriteItemsCommand({
        ...txnInput,
        TransactItems: (txnInput.TransactItems ?? []).map((t) => {
          if (t.Put) return { Put: { ...t.Put, Item: { ...t.Put.Item, pk: fresh(t.Put.Item?.pk) } } };
          if (t.Update) return { Update: { ...t.Update, Key: txnFloorKey } };
          return t;
        }),
      }),
    );

  const samples: Record<string, number[]> = {
    bearer: [],
    signed: [],
    get: [],
    update: [],
    get_put: [],
    get_transact: [],
  };
  const callsPer: Record<'bearer' | 'signed', number[]> = { bearer: [], signed: [] };
  const commandsSeen: Record<'bearer' | 'signed', Set<string>> = { bearer: new Set(), signed: new Set() };

  const snapshot = () => new Map(ddbCalls);
  const diff = (before: Map<string, number>) => {
    const out: string[] = [];
    for (const [name, n] of ddbCalls) for (let i = 0; i < n - (before.get(name) ?? 0); i++) out.push(name);
    return out;
  };

  const ops: Array<[string, () => Promise<unknown>]> = [
    [
      'bearer',
      async () => {
        const result = await authorize(bearerEvent);
        if (result.policyDocument.Statement[0]?.Effect !== 'Allow') throw new Error('bearer was not allowed');
      },
    ],
    ['get', getFloor],
    ['update', updateFloor],
    ['signed', async () => undefined], // replaced below: the event is signed outside the timed region
    [
      'get_put',
      async () => {
        await getFloor();
        await putFloor();
      },
    ],
    [
      'get_transact',
      async () => {
        await getFloor();
        await txnFloor();
      },
    ],
  ];

  const runOp = async (name: string, fn: () => Promise<unknown>, record: boolean) => {
    if (name === 'signed') {
      const event = signedEvent();
      const before = snapshot();
      const t0 = nowMs();
      const result = await authorize(event);
      const dt = nowMs() - t0;
      if (result.policyDocument.Statement[0]?.Effect !== 'Allow') throw new Error('signed was not allowed');
      if (record) {
        samples.signed?.push(dt);
        const seen = diff(before);
        callsPer.signed.push(seen.length);
        for (const c of seen) commandsSeen.signed.add(c);
      }
      return;
    }
    const before = name === 'bearer' ? snapshot() : null;
    const t0 = nowMs();
    await fn();
    const dt = nowMs() - t0;
    if (!record) return;
    samples[name]?.push(dt);
    if (before) {
      const seen = diff(before);
      callsPer.bearer.push(seen.length);
      for (const c of seen) commandsSeen.bearer.add(c);
    }
  };

  const total = options.warmup + options.iterations;
  for (let round = 0; round < total; round++) {
    const record = round >= options.warmup;
    // Rotate the order every round so that no operation always follows the same neighbour.
    for (let i = 0; i < ops.length; i++) {
      const [name, fn] = ops[(round + i) % ops.length] as [string, () => Promise<unknown>];
      await runOp(name, fn, record);
    }
    if (round > 0 && round % 500 === 0) progress('verify', `${round}/${total} rounds`);
  }

  // I/O per refusal: nothing for junk, a read and no write for a bad signature.
  const count = async (event: Parameters<typeof authorize>[0]) => {
    const before = snapshot();
    await authorize(event).then(
      () => {
        throw new Error('expected a refusal');
      },
      (error: Error) => {
        if (error.message !== 'Unauthorized') throw error;
      },
    );
    return diff(before);
  };
  const now = Math.floor(Date.now() / 1000);
  const signedFor = (o: { timestamp?: number; path?: string }) =>
    signRequest({
      token: signedKey.token,
      method: 'GET',
      path: signedPath(o.path ?? '/v1/echo/x'),
      ...(o.timestamp !== undefined ? { timestamp: o.timestamp } : {}),
    }).authorization;
  const malformedCases: Record<string, string> = {
    bad_checksum: `Bearer ${bearerKey.token.slice(0, -1)}${bearerKey.token.endsWith('0') ? '1' : '0'}`,
    not_a_token: 'Bearer lk_not-a-token',
    unsupported_scheme: `Basic ${Buffer.from('user:pass').toString('base64')}`,
    armor_malformed: 'ARMOR-PSK nonsense',
    stale_timestamp: signedFor({ timestamp: now - 301 }),
    future_timestamp: signedFor({ timestamp: now + 301 }),
  };
  const cases: Record<string, number> = {};
  for (const [name, header] of Object.entries(malformedCases)) {
    cases[name] = (await count(authorizerEvent(header, 'GET', '/v1/echo/x'))).length;
  }
  const badSignature = await count(
    authorizerEvent(signedFor({ path: '/v1/echo/other' }), 'GET', '/v1/echo/x'),
  );
  const wrongSecret = await count(
    authorizerEvent(`Bearer ${formatToken('lk', bearerKey.id, randomBase62(43))}`, 'GET', '/v1/echo/x'),
  );
  // Unknown keys cost the same single conditional write as a wrong secret.
  await count(
    authorizerEvent(`Bearer ${formatToken('lk', newKeyId(), randomBase62(43))}`, 'GET', '/v1/echo/x'),
  );

  const floors = Object.fromEntries(
    ['get', 'update', 'get_put', 'get_transact'].map((k) => [k, latency(samples[k] as number[])]),
  );
  const path = (
    name: 'bearer' | 'signed',
    floorName: 'get' | 'get_put',
    sameOpsName: 'update' | 'get_transact',
  ): PathFigures => {
    const own = latency(samples[name] as number[]);
    const floor = floors[floorName] as LatencyFigures;
    const sameOps = floors[sameOpsName] as LatencyFigures;
    const calls = callsPer[name];
    return {
      ...own,
      floor_p50_ms: floor.p50_ms,
      floor_p99_ms: floor.p99_ms,
      ratio_p50: round(own.p50_ms / floor.p50_ms, 3),
      same_ops_floor_p50_ms: sameOps.p50_ms,
      same_ops_floor_p99_ms: sameOps.p99_ms,
      same_ops_ratio_p50: round(own.p50_ms / sameOps.p50_ms, 3),
      ddb_calls: round(calls.reduce((a, b) => a + b, 0) / calls.length, 3),
      ddb_commands: [...commandsSeen[name]],
    };
  };
  const after = (
    await dynamo.send(new GetItemCommand({ TableName, Key: keyOf(bearerKey), ConsistentRead: true }))
  ).Item as Item;
  const figures: VerifyFigures = {
    iterations: options.iterations,
    bearer: path('bearer', 'get', 'update'),
    signed: path('signed', 'get_put', 'get_transact'),
    floors,
    malformed: { ddb_calls: Math.max(...Object.values(cases)), cases },
    bad_signature: {
      ddb_calls: badSignature.length,
      writes: badSignature.filter((c) => WRITE_COMMANDS.has(c)).length,
      commands: badSignature,
    },
    wrong_secret: { ddb_calls: wrongSecret.length, commands: wrongSecret },
    key_item_bytes: itemSize(after),
    key_item_bytes_unrolled_day: itemSize(withYesterdaysCounter(after)),
    replay_item_bytes: itemSize(replayItem(`SIG#${signedKey.id}#${'0'.repeat(64)}`)),
  };
  return { figures, durations: { bearer: samples.bearer ?? [], signed: samples.signed ?? [] } };
}

/** The item as it is late in a day before the nightly roll-up: yesterday's counter is still on it. */
function withYesterdaysCounter(item: Item): Item {
  const today = item[usageDayAttribute(utcDay(Date.now()))] ?? { N: '0' };
  return { ...item, [usageDayAttribute(utcDay(Date.now() - 86_400_000))]: today };
}
