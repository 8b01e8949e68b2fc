/**
 * The `keys` command group: create, list, get, revoke and rotate API keys. A new raw key (create,
 * rotate) is printed once, on stdout, with the server's warning on stderr; `--quiet` prints the raw
 * key alone so that `KEY=$(latchkey keys create … --quiet)` works.
 */

import { existsSync, readFileSync } from 'node:fs';
import { DEFAULT_ORG } from '../core/management';
import { SIGNATURE_ALGORITHMS } from '../core/model';
import { DEFAULT_ROLE, DEFAULT_ROLE_MATRIX } from '../core/permissions';
import { RATE_LIMIT_PER_MINUTE, SETTINGS } from '../core/settings';
import {
  DESCRIPTION_LENGTH,
  GRACE_PERIOD_SECONDS,
  KEY_STATUSES,
  LIST_PAGE_SIZE,
  NAME_LENGTH,
} from '../core/validation';
import type { ApiKey, CreateKeyInput, ListKeysParams, NewKeyResponse, RegisteredKeyResponse } from '../sdk';
import { type Args, type Context, defineCommand } from './command';
import { usage } from './errors';
import { clean, date, fields, keyFields, keyTable, span, toJson } from './format';
import { integer, optionalInteger, parseMeta, required } from './input';
import { CREDIT_OPTIONS, creditsFrom } from './keys-credits';
import { defineOptions, flag, list, type OptionSpecs, text } from './options';

const ORG_OPTION = defineOptions({
  org: text('ORG', `organization (admin key only; default: ${DEFAULT_ORG})`),
});

/** `active, revoked, expired, disabled, rotating or rotated`. */
const STATUS_WORDS = `${KEY_STATUSES.slice(0, -1).join(', ')} or ${KEY_STATUSES.at(-1)}`;

/**
 * Prints a new key: details and raw key (stdout), warning (stderr); the raw key alone with --quiet. A
 * public-key key has no raw key: its details, or its id alone with --quiet.
 */
function printNewKey(
  ctx: Pick<Context<OptionSpecs, readonly string[]>, 'json' | 'out' | 'err'> & {
    values: { readonly quiet?: boolean };
  },
  created: NewKeyResponse | RegisteredKeyResponse,
  headline: string,
): void {
  if (ctx.json) {
    ctx.out(toJson(created));
    return;
  }
  if (!('raw_key' in created)) {
    if (ctx.values.quiet) ctx.out(created.key.id);
    else ctx.out(`${headline}\n${fields(keyFields(created.key))}`);
    return;
  }
  if (ctx.values.quiet) {
    ctx.out(created.raw_key);
    ctx.err(created.warning);
    return;
  }
  ctx.out(headline);
  ctx.out(fields(keyFields(created.key)));
  ctx.out('');
  ctx.out(fields([['raw key', created.raw_key]]));
  ctx.err(created.warning);
}

export const keysCreate = defineCommand({
  name: 'keys create',
  summary: 'create an API key (prints its raw key once)',
  usage:
    'latchkey keys create --name NAME [--role ROLE]… [--rate-limit N] [--expires-at ISO] [--org ORG] [--description TEXT] [--meta K=V]… [--allowed-cidr CIDR]… [--credits N [--refill SPEC] [--refill-mode MODE] [--refill-max N] [--low-credits N]] [--public-key FILE|VALUE | --signature-algorithm ALG] [--quiet]',
  description:
    'Creates an API key. Its raw key is printed once, here, and can never be read again: store it now.\n' +
    'The key details go to stdout and the warning to stderr; with --quiet only the raw key is printed.\n' +
    'With --public-key (an Ed25519 public key: a PEM file, or the key itself) the key is a public-key key:\n' +
    'it has no raw key and signs requests with RFC 9421 using its private key; --quiet prints its id.',
  args: [],
  api: true,
  options: {
    name: text('NAME', `key name, ${span(NAME_LENGTH)} characters (required)`),
    role: list(
      'ROLE',
      `a role (${Object.keys(DEFAULT_ROLE_MATRIX).join(', ')}); repeat for several (default: ${DEFAULT_ROLE})`,
    ),
    'rate-limit': text(
      'N',
      `requests per minute, ${span(RATE_LIMIT_PER_MINUTE)} (default ${SETTINGS.defaultRateLimit.default})`,
    ),
    'expires-at': text('ISO', 'expiry, a future ISO 8601 time'),
    ...ORG_OPTION,
    description: text('TEXT', `free text, up to ${DESCRIPTION_LENGTH.max} characters`),
    meta: list('K=V', 'a metadata entry; repeat for several'),
    'allowed-cidr': list(
      'CIDR',
      'a network the key may be used from (IPv4 or IPv6; repeat for several, default: anywhere)',
    ),
    ...CREDIT_OPTIONS,
    'public-key': text(
      'FILE|VALUE',
      'an Ed25519 public key (PEM file or base64url): a public-key key, no token',
    ),
    'signature-algorithm': text(
      'ALG',
      'RFC 9421 algorithm of a token key: hmac-sha256 (default) or hmac-sha512',
    ),
    quiet: flag('print only the raw key', 'q'),
  },
  examples: [
    'latchkey keys create --name billing',
    'latchkey keys create --name signer --public-key signer.pub.pem',
    'latchkey keys create --name strong --signature-algorithm hmac-sha512',
    'latchkey keys create --name ci --role viewer --rate-limit 600 --expires-at 2030-01-01T00:00:00Z',
    'latchkey keys create --name acme-bot --meta customer=acme --meta tier=gold',
    'latchkey keys create --name office --allowed-cidr 203.0.113.0/24 --allowed-cidr 2001:db8::/32',
    'latchkey keys create --name customer-a --credits 1000 --refill 1000/month --low-credits 100',
    'KEY=$(latchkey keys create --name deploy --quiet)',
  ],
  async run(ctx) {
    const { values } = ctx;
    const input: CreateKeyInput = { name: required(values.name, '--name') };
    if (values.role !== undefined) input.roles = values.role;
    const rateLimit = optionalInteger(values['rate-limit'], '--rate-limit');
    if (rateLimit !== undefined) input.rate_limit_per_minute = rateLimit;
    if (values['expires-at'] !== undefined) input.expires_at = values['expires-at'];
    if (values.org !== undefined) input.org_id = values.org;
    if (values.description !== undefined) input.description = values.description;
    if (values.meta !== undefined) input.metadata = parseMeta(values.meta);
    if (values['allowed-cidr'] !== undefined) input.allowed_cidrs = values['allowed-cidr'];
    const credits = creditsFrom(values);
    if (credits !== undefined) input.credits = credits;
    if (values['public-key'] !== undefined) input.public_key = publicKeyArg(values['public-key']);
    const alg = values['signature-algorithm'];
    if (alg !== undefined) {
      const known = SIGNATURE_ALGORITHMS.find((a) => a === alg);
      if (known === undefined)
        throw usage(`--signature-algorithm must be one of ${SIGNATURE_ALGORITHMS.join(', ')}`);
      input.signature_algorithm = known;
    }
    const created = await ctx.client().createKey(input);
    printNewKey(ctx, created, `Created key ${created.key.id}.`);
  },
});

export const keysList = defineCommand({
  name: 'keys list',
  summary: 'list keys, newest first',
  usage: `latchkey keys list [--org ORG] [--status ${KEY_STATUSES.join('|')}] [--name TEXT] [--limit N [--cursor C]]`,
  description:
    'Lists the keys of an organization, newest first, following every page. With --limit, prints one page\n' +
    `of at most N keys (${span(LIST_PAGE_SIZE)}) and the cursor of the next one; pass it back with --cursor.`,
  args: [],
  api: true,
  options: {
    ...ORG_OPTION,
    status: text('STATUS', `only keys that are ${STATUS_WORDS}`),
    name: text('TEXT', 'only keys whose name contains TEXT (case-sensitive)'),
    limit: text('N', `one page of at most N keys (${span(LIST_PAGE_SIZE)})`),
    cursor: text('C', 'the page after this cursor (with --limit)'),
  },
  examples: [
    'latchkey keys list',
    'latchkey keys list --status active --org acme',
    'latchkey keys list --status rotating',
    'latchkey keys list --name billing',
    'latchkey keys list --limit 20 --json',
  ],
  async run(ctx) {
    const { values } = ctx;
    const params: ListKeysParams = {};
    if (values.org !== undefined) params.org_id = values.org;
    const { status } = values;
    if (status !== undefined) {
      const known = KEY_STATUSES.find((s) => s === status);
      if (known === undefined) throw usage(`--status must be one of ${KEY_STATUSES.join(', ')}`);
      params.status = known;
    }
    if (values.name !== undefined) params.name = values.name;
    const client = ctx.client();
    if (values.limit !== undefined || values.cursor !== undefined) {
      if (values.limit !== undefined) params.limit = integer(values.limit, '--limit');
      if (values.cursor !== undefined) params.cursor = values.cursor;
      const page = await client.listKeys(params);
      if (ctx.json) return ctx.out(toJson(page));
      ctx.out(keyTable(page.keys));
      if (page.next_cursor !== null)
        ctx.err(`More keys: latchkey keys list --limit … --cursor ${page.next_cursor}`);
      return;
    }
    const keys: ApiKey[] = [];
    for await (const key of client.iterateKeys({ ...params, limit: 100 })) keys.push(key);
    if (ctx.json) return ctx.out(toJson({ keys, next_cursor: null }));
    ctx.out(keyTable(keys));
  },
});

/** Help and arguments shared by the commands that take one key id. */
const ONE_KEY = { args: ['ID'], api: true } as const;
type OneKey = Args<typeof ONE_KEY.args>;

export const keysGet = defineCommand({
  name: 'keys get',
  summary: 'show one key',
  usage: 'latchkey keys get ID',
  description: 'Shows a key: its roles, permissions, limits, status, metadata and usage. Never its secret.',
  ...ONE_KEY,
  options: {},
  examples: ['latchkey keys get 3hQx9TmP2wLk8ZrA', 'latchkey keys get 3hQx9TmP2wLk8ZrA --json'],
  async run(ctx) {
    const [id]: OneKey = ctx.args;
    const res = await ctx.client().getKey(id);
    if (ctx.json) return ctx.out(toJson(res));
    ctx.out(fields(keyFields(res.key)));
  },
});

export const keysRevoke = defineCommand({
  name: 'keys revoke',
  summary: 'revoke a key, immediately and permanently',
  usage: 'latchkey keys revoke ID',
  description: 'Revokes a key: from the very next request it gets 401. Repeating it is harmless.',
  ...ONE_KEY,
  options: {},
  examples: ['latchkey keys revoke 3hQx9TmP2wLk8ZrA'],
  async run(ctx) {
    const [id]: OneKey = ctx.args;
    const res = await ctx.client().revokeKey(id);
    if (ctx.json) return ctx.out(toJson(res));
    ctx.out(`Revoked key ${res.key.id} (${clean(res.key.name)}) at ${date(res.key.revoked_at)}.`);
  },
});

export const keysRotate = defineCommand({
  name: 'keys rotate',
  summary: 'replace a key with a new one (prints the new raw key once)',
  usage: 'latchkey keys rotate ID [--grace SECONDS] [--public-key FILE|VALUE] [--quiet]',
  description:
    'Creates a new key with the same name, roles and limits and retires the old one when the grace\n' +
    'period ends (0, the default: at once). The new raw key is printed once; with --quiet only it is printed.\n' +
    'A public-key key is rotated to the new public key --public-key names (required for one).',
  ...ONE_KEY,
  options: {
    grace: text('SECONDS', `keep the old key working this long (${span(GRACE_PERIOD_SECONDS)})`),
    'public-key': text('FILE|VALUE', "a public-key key's new Ed25519 public key (PEM file or base64url)"),
    quiet: flag('print only the new raw key', 'q'),
  },
  examples: ['latchkey keys rotate 3hQx9TmP2wLk8ZrA', 'latchkey keys rotate 3hQx9TmP2wLk8ZrA --grace 3600'],
  async run(ctx) {
    const [id]: OneKey = ctx.args;
    const grace = optionalInteger(ctx.values.grace, '--grace');
    const publicKey = ctx.values['public-key'];
    const rotated = await ctx.client().rotateKey(id, {
      ...(grace === undefined ? {} : { grace_period_seconds: grace }),
      ...(publicKey === undefined ? {} : { public_key: publicKeyArg(publicKey) }),
    });
    const until =
      grace === undefined || grace === 0
        ? 'The old key stopped working now.'
        : `The old key keeps working until ${date(new Date(Date.now() + grace * 1000).toISOString())}.`;
    printNewKey(ctx, rotated, `Rotated key ${id}: new key ${rotated.key.id}. ${until}`);
  },
});

/** `--public-key FILE|VALUE`: a file's contents when such a file exists, else the value itself. */
function publicKeyArg(value: string): string {
  if (value.startsWith('-----BEGIN') || !existsSync(value)) return value;
  try {
    return readFileSync(value, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'error';
    throw usage(`cannot read --public-key file ${clean(value)} (${code})`);
  }
}

export const KEYS_COMMANDS = [keysCreate, keysList, keysGet, keysRevoke, keysRotate];
