/**
 * `latchkey doctor` (in process) against a real local latchkey with a data folder of its own, as
 * `npm start` runs it: it passes every check behind a REST API and an HTTP API and leaves every key it
 * made revoked, with the audit saying whose they were; and it fails, naming the cause, when the
 * authorizer's role lacks a DynamoDB permission (an `AccessDeniedException` injected into the DynamoDB
 * client's calls the authorizer alone makes, as AWS would answer), when the admin-key secret is missing
 * or the admin key is wrong, and when the URL is wrong.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STEP_NAMES } from '#cli/doctor-checks';
import { randomBase62 } from '#core/base62';
import { createAuthorizerHandler } from '#lambda/handlers/authorizer';
import { echo } from '#lambda/handlers/echo';
import { createManagementHandler } from '#lambda/handlers/management';
import { createRuntime } from '#lambda/runtime/runtime';
import { ADMIN_KEY_SECRET_NAME, LOCAL_CREDENTIALS_FILE } from '#local/constants';
import { type LocalGateway, startLocalGateway } from '#local/gateway';
import { freePort } from '#local/net';
import { type SecretsEndpoint, startSecretsEndpoint } from '#local/secrets/server';
import { runCli } from '../helpers/cli';
import { useLatchkey } from '../helpers/latchkey';

const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-doctor-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const lk = useLatchkey({ dataDir });

/** What `latchkey doctor --local` reads: npm start's URL, secrets port and data folder. */
const localEnv = () => ({
  LATCHKEY_URL: lk.local.url,
  LATCHKEY_SECRETS_PORT: new URL(lk.local.secretsEndpoint).port,
  LATCHKEY_DATA_DIR: dataDir,
});

interface DoctorJson {
  ok: boolean;
  api_type: string | null;
  passed: number;
  failed: number;
  skipped: number;
  steps: Array<{ name: string; status: string; ms: number; detail: string; http_status: number | null }>;
  causes: Array<{ cause: string; look: string; steps: string[] }>;
}

/** The IAM actions a DynamoDB call needs: a transaction needs the action of each of its items. */
function actionsOf(commandName: string, input: unknown): string[] {
  if (commandName === 'TransactWriteItemsCommand') {
    const items = (input as { TransactItems?: Array<Record<string, unknown>> }).TransactItems ?? [];
    return items.map((item) =>
      item.Put
        ? 'dynamodb:PutItem'
        : item.Update
          ? 'dynamodb:UpdateItem'
          : item.Delete
            ? 'dynamodb:DeleteItem'
            : 'dynamodb:ConditionCheckItem',
    );
  }
  return [`dynamodb:${commandName.replace(/Command$/, '')}`];
}

/** The error DynamoDB answers a call the caller's IAM policy does not allow (its message as AWS words it). */
function accessDenied(action: string): Error {
  const error = new Error(
    `User: arn:aws:sts::000000000000:assumed-role/Latchkey-AuthorizerServiceRole/latchkey-authorizer is not authorized to perform: ${action} on resource: arn:aws:dynamodb:us-east-1:000000000000:table/latchkey because no identity-based policy allows the ${action} action`,
  );
  error.name = 'AccessDeniedException';
  return error;
}

const stepLines = (stdout: string) => stdout.split('\n').filter((l) => /^(PASS|FAIL|SKIP) /.test(l));

/** The doctor's test keys in the admin's key list (every name starts "latchkey doctor"). */
async function doctorKeys(): Promise<Array<{ id: string; status: string; name: string }>> {
  const res = await lk.call<{ keys: Array<{ id: string; status: string; name: string }> }>(
    'GET',
    '/v1/keys?name=latchkey%20doctor&limit=100',
    { token: lk.admin },
  );
  expect(res.status).toBe(200);
  return res.body.keys;
}

describe('latchkey doctor passes against a working local latchkey', () => {
  it('--local: one PASS line per check with its time, exit 0, every test key revoked', async () => {
    const before = (await doctorKeys()).length;
    const res = await runCli(['doctor', '--local'], localEnv());
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const lines = stepLines(res.stdout);
    expect(lines.map((l) => l.split(/\s{2,}/)[1])).toEqual([...STEP_NAMES]);
    for (const line of lines) expect(line).toMatch(/^PASS {2}\S.*\s\d+ ms {2}\S/);
    expect(res.stdout).toContain('16 passed, 0 failed, 0 skipped (REST API)');
    expect(res.stdout).toMatch(/rate limit +\d+ ms {2}call 3 403 rate_limited, Retry-After \d+ s/);
    // No token or admin key is printed.
    expect(res.stdout).not.toContain(lk.admin);
    expect(res.stdout).not.toMatch(/lk_[A-Za-z0-9]{16}_[A-Za-z0-9]{49}/);

    const keys = await doctorKeys();
    expect(keys).toHaveLength(before + 2);
    for (const key of keys) expect(key.status).toBe('revoked');
    // The audit says why the keys existed: their creation event carries the doctor's name and description.
    const audit = await lk.call<{
      events: Array<{ type: string; changes?: Record<string, { new?: unknown }> }>;
    }>('GET', `/v1/audit?key_id=${keys[0]?.id}`, { token: lk.admin });
    const types = audit.body.events.map((e) => e.type);
    expect(types).toContain('key.revoked');
    expect(JSON.stringify(audit.body.events.find((e) => e.type === 'key.created'))).toMatch(
      /Temporary key of latchkey doctor run [A-Za-z0-9]{8}: it checks this deployment and revokes the key when done/,
    );
  });

  it('--url with --admin-key and --json: one JSON document, every step passed', async () => {
    const res = await runCli(['doctor', '--url', lk.local.url, '--admin-key', lk.admin, '--json'], {});
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const doc = JSON.parse(res.stdout) as DoctorJson;
    expect(doc).toMatchObject({ ok: true, api_type: 'rest', passed: 16, failed: 0, skipped: 0, causes: [] });
    expect(doc.steps.map((s) => [s.name, s.status])).toEqual(STEP_NAMES.map((n) => [n, 'pass']));
    for (const step of doc.steps) expect(step.ms).toBeGreaterThanOrEqual(0);
  });
});

describe('behind an HTTP API', () => {
  const http = useLatchkey({ apiType: 'http' });

  it("passes, expecting the HTTP API's 403 Forbidden for every refusal", async () => {
    const res = await runCli(['doctor', '--url', http.local.url, '--admin-key', http.admin, '--json'], {});
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const doc = JSON.parse(res.stdout) as DoctorJson;
    expect(doc).toMatchObject({ ok: true, api_type: 'http', passed: 16 });
    expect(doc.steps.find((s) => s.name === 'bearer refused')?.detail).toMatch(/^403 Forbidden: an HTTP API/);
  });
});

describe('fails, naming the cause', () => {
  describe("the authorizer's role without the CountOnKeyItems statement (no dynamodb:UpdateItem)", () => {
    let gateway: LocalGateway;
    let dynamo: DynamoDBClient;
    beforeAll(async () => {
      // The authorizer gets a DynamoDB client of its own that answers as AWS answers a role whose policy
      // lacks dynamodb:UpdateItem (a transaction needs the action of each of its items); the management
      // API keeps local mode's. The log lines still go to the data folder's latchkey.log.
      dynamo = new DynamoDBClient({ endpoint: lk.local.dynamodbEndpoint, ...lk.local.dynamodbIdentity });
      dynamo.middlewareStack.add(
        (next, context) => async (args) => {
          const denied = actionsOf(context.commandName ?? '', args.input).find(
            (a) => a === 'dynamodb:UpdateItem',
          );
          if (denied !== undefined) throw accessDenied(denied);
          return next(args);
        },
        { step: 'initialize', name: 'withoutCountOnKeyItems' },
      );
      const authorizerRuntime = createRuntime(lk.local.config, {
        dynamo,
        secrets: lk.local.secretsClient,
      });
      gateway = await startLocalGateway({
        apiType: 'rest',
        authorizer: createAuthorizerHandler(authorizerRuntime),
        integrations: { management: createManagementHandler(lk.local.runtime), echo },
      });
    });
    afterAll(async () => {
      await gateway?.close();
      dynamo?.destroy();
    });

    it('every key check answers 503, and the cause names CountOnKeyItems of grantVerify', async () => {
      const args = ['doctor', '--url', gateway.url, '--admin-key', lk.admin, '--data-dir', dataDir];
      const res = await runCli(args, {});
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/^latchkey: doctor_failed: \d+ of 16 checks failed: bearer allowed, /);
      const lines = stepLines(res.stdout);
      expect(lines.find((l) => l.includes('bearer allowed'))).toMatch(
        /^FAIL {2}bearer allowed +\d+ ms {2}GET \/v1\/whoami \(Bearer\): expected 200, got 503 service_unavailable$/,
      );
      expect(lines.find((l) => l.includes('signed GET'))).toMatch(
        /^FAIL {2}signed GET .*got 503 service_unavailable$/,
      );
      expect(lines.find((l) => l.includes('admin key'))).toMatch(/^PASS {2}admin key /);
      expect(res.stdout).toMatch(
        /^cause: the authorizer's role may not call dynamodb:UpdateItem: the CountOnKeyItems statement that grantVerify adds \(lib\/cdk\/key-store\.ts\) is missing or does not match the key table \(every check with a key through the authorizer answered 5xx; logged: DynamoDB request failed: AccessDeniedException \(dynamodb:UpdateItem\)\)$/m,
      );
      expect(res.stdout).toMatch(/^ {2}look: .*CountOnKeyItems.*latchkey\.log/m);
      // The keys were still revoked (by the management API, which has its permissions).
      for (const key of await doctorKeys()) expect(key.status).toBe('revoked');

      const json = await runCli([...args, '--json'], {});
      expect(json.code).toBe(1);
      const doc = JSON.parse(json.stdout) as DoctorJson;
      expect(doc.ok).toBe(false);
      expect(doc.steps.find((s) => s.name === 'bearer allowed')).toMatchObject({
        status: 'fail',
        http_status: 503,
      });
      const cause = doc.causes[0];
      expect(cause?.cause).toContain('CountOnKeyItems');
      expect(cause?.steps).toEqual(expect.arrayContaining(['bearer allowed', 'signed GET', 'rate limit']));
      expect(doc.steps.find((s) => s.name === 'cleanup')?.status).toBe('pass');
    });
  });

  it('a wrong admin key: the admin-key check fails naming the secret, the rest is skipped', async () => {
    const res = await runCli(['doctor', '--local', '--admin-key', randomBase62(40)], localEnv());
    expect(res.code).toBe(1);
    const lines = stepLines(res.stdout);
    expect(lines.find((l) => l.includes('admin key'))).toMatch(
      /^FAIL {2}admin key +\d+ ms {2}GET \/v1\/whoami with the admin key \(from --admin-key\): 401 unauthorized$/,
    );
    expect(lines.find((l) => l.includes('create keys'))).toMatch(
      /^SKIP {2}create keys .*no working admin key/,
    );
    expect(res.stdout).toMatch(
      /^cause: the API refuses the admin key from --admin-key: it is not this deployment's admin key .*; the authorizer logged wrong_admin_key$/m,
    );
    expect(res.stdout).toMatch(/^ {2}look: the admin-key secret: latchkey admin-key --local/m);
  });

  describe('a missing admin-key secret', () => {
    let empty: SecretsEndpoint;
    const emptyDir = mkdtempSync(join(tmpdir(), 'latchkey-doctor-empty-'));
    beforeAll(async () => {
      // A local Secrets Manager endpoint (and its credential file) that holds no admin key.
      empty = await startSecretsEndpoint({ credentialsFile: join(emptyDir, LOCAL_CREDENTIALS_FILE) });
    });
    afterAll(async () => {
      await empty.stop();
      rmSync(emptyDir, { recursive: true, force: true });
    });

    it('fails the admin-key check naming the secret and the endpoint', async () => {
      const env = {
        LATCHKEY_URL: lk.local.url,
        LATCHKEY_SECRETS_PORT: new URL(empty.endpoint).port,
        LATCHKEY_DATA_DIR: emptyDir,
      };
      const res = await runCli(['doctor', '--local', '--json'], env);
      expect(res.code).toBe(1);
      const doc = JSON.parse(res.stdout) as DoctorJson;
      expect(doc.steps.slice(0, 3).map((s) => s.status)).toEqual(['pass', 'pass', 'fail']);
      expect(doc.steps[2]?.detail).toContain(
        `not_found: reading secret ${ADMIN_KEY_SECRET_NAME} from ${empty.endpoint}`,
      );
      expect(doc.causes[0]?.cause).toMatch(/^the admin key could not be read: not_found: /);
      expect(doc.causes[0]?.look).toContain('latchkey admin-key --local');
      expect(doc.steps.slice(3, -1).every((s) => s.status === 'skip')).toBe(true);
    });
  });

  it('a wrong URL: nothing answers, the cause names the URL, every other check is skipped', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const res = await runCli(['doctor', '--url', url, '--admin-key', lk.admin], {});
    expect(res.code).toBe(1);
    const lines = stepLines(res.stdout);
    expect(lines[0]).toMatch(new RegExp(`^FAIL  openapi +\\d+ ms  cannot reach ${url}: ECONNREFUSED$`));
    expect(lines.slice(1, -1).every((l) => l.startsWith('SKIP '))).toBe(true);
    expect(lines.at(-1)).toMatch(/^SKIP {2}cleanup .*no key to clean up/);
    expect(res.stdout).toContain(`cause: nothing answers at ${url}`);
    expect(res.stdout).toContain('look: the URL given (--url)');
    expect(res.stderr).toBe('latchkey: doctor_failed: 1 of 16 checks failed: openapi\n');
  });
});
