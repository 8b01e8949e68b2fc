/**
 * The `latchkey` command: latchkey's management API for operators and scripts.
 *
 * Run through bin/latchkey-cli.mjs (package.json "bin"), so `npx latchkey …` works in this repo and
 * wherever the package is installed. Reads LATCHKEY_URL and LATCHKEY_KEY; flags override.
 * Exit codes: 0 success, 1 any error (one line naming its code on stderr), 2 usage errors.
 */
import { readFileSync } from 'node:fs';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type ApiKey, LatchkeyClient, LatchkeyError, type NewKeyResponse, type Org } from '../lib/sdk';

/** Local mode's admin-key secret (ADMIN_KEY_SECRET_NAME in lib/local/local-mode.ts, which the CLI does not import). */
const LOCAL_ADMIN_KEY_SECRET_ID = 'latchkey/admin-key';
/** The stack output naming the admin-key secret (lib/latchkey-stack.ts). */
const ADMIN_KEY_OUTPUT = 'AdminKeySecretArn';
const CLOUDFORMATION_PACKAGE = '@aws-sdk/client-cloudformation';

// ---------------------------------------------------------------------------------------------------
// errors

/** An error the CLI reports as one line, `latchkey: <code>: <message>`, exiting with `exitCode`. */
class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

const usage = (message: string) => new CliError('usage_error', message, 2);

// ---------------------------------------------------------------------------------------------------
// command table

type OptionType = 'string' | 'boolean';
interface OptionSpec {
  type: OptionType;
  short?: string;
  multiple?: boolean;
  /** Shown in help, e.g. `NAME`. */
  value?: string;
  description: string;
}
type Values = Record<string, string | boolean | string[] | undefined>;

interface Context {
  values: Values;
  args: string[];
  env: NodeJS.ProcessEnv;
  json: boolean;
  out(text: string): void;
  err(text: string): void;
  client(): LatchkeyClient;
}

interface Command {
  name: string;
  summary: string;
  usage: string;
  description: string;
  args: string[];
  options: Record<string, OptionSpec>;
  /** Talks to the API (accepts --url, --key, --sign, --timeout). */
  api: boolean;
  examples: string[];
  run(ctx: Context): Promise<void>;
}

const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  json: { type: 'boolean', description: 'print the API response as JSON (for scripts)' },
  debug: { type: 'boolean', description: 'show stack traces on errors' },
  help: { type: 'boolean', short: 'h', description: 'show help for the command' },
};

const API_OPTIONS: Record<string, OptionSpec> = {
  url: { type: 'string', value: 'URL', description: 'API base URL (default: $LATCHKEY_URL)' },
  key: {
    type: 'string',
    value: 'KEY',
    description: 'admin key or API-key token (default: $LATCHKEY_KEY; prefer the variable)',
  },
  sign: {
    type: 'boolean',
    description: 'sign requests with ARMOR-PSK instead of sending the key (API-key tokens only)',
  },
  timeout: {
    type: 'string',
    value: 'MS',
    description: 'per-attempt timeout in milliseconds (default 30000)',
  },
};

const COMMANDS: Command[] = [
  {
    name: 'keys create',
    summary: 'create an API key (prints its raw key once)',
    usage:
      'latchkey keys create --name NAME [--role ROLE]… [--rate-limit N] [--expires-at ISO] [--org ORG] [--description TEXT]',
    description:
      'Creates an API key. Its raw key is printed once, here, and can never be read again: store it now.\n' +
      'The key details go to stdout and the warning to stderr; with --quiet only the raw key is printed.',
    args: [],
    api: true,
    options: {
      name: { type: 'string', value: 'NAME', description: 'key name, 1-100 characters (required)' },
      role: {
        type: 'string',
        multiple: true,
        value: 'ROLE',
        description: 'a role (admin, member, viewer); repeat for several (default: member)',
      },
      'rate-limit': { type: 'string', value: 'N', description: 'requests per minute, 1-100000 (default 60)' },
      'expires-at': { type: 'string', value: 'ISO', description: 'expiry, a future ISO 8601 time' },
      org: { type: 'string', value: 'ORG', description: 'organization (admin key only; default: default)' },
      description: { type: 'string', value: 'TEXT', description: 'free text, up to 500 characters' },
      quiet: { type: 'boolean', short: 'q', description: 'print only the raw key' },
    },
    examples: [
      'latchkey keys create --name billing',
      'latchkey keys create --name ci --role viewer --rate-limit 600 --expires-at 2030-01-01T00:00:00Z',
      'KEY=$(latchkey keys create --name deploy --quiet)',
    ],
    async run(ctx) {
      const { values } = ctx;
      const name = required(values, 'name');
      const input: Parameters<LatchkeyClient['createKey']>[0] = { name };
      const roles = values.role as string[] | undefined;
      if (roles !== undefined) input.roles = roles;
      if (values['rate-limit'] !== undefined) {
        input.rate_limit_per_minute = integer(values['rate-limit'] as string, '--rate-limit');
      }
      if (values['expires-at'] !== undefined) input.expires_at = values['expires-at'] as string;
      if (values.org !== undefined) input.org_id = values.org as string;
      if (values.description !== undefined) input.description = values.description as string;
      const created = await ctx.client().createKey(input);
      printNewKey(ctx, created, `Created key ${created.key.id}.`);
    },
  },
  {
    name: 'keys list',
    summary: 'list keys, newest first',
    usage: 'latchkey keys list [--org ORG] [--status active|revoked|expired] [--limit N [--cursor C]]',
    description:
      'Lists the keys of an organization, newest first, following every page. With --limit, prints one page\n' +
      'of at most N keys (1-100) and the cursor of the next one; pass it back with --cursor.',
    args: [],
    api: true,
    options: {
      org: { type: 'string', value: 'ORG', description: 'organization (admin key only; default: default)' },
      status: {
        type: 'string',
        value: 'STATUS',
        description: 'only keys that are active, revoked or expired',
      },
      limit: { type: 'string', value: 'N', description: 'one page of at most N keys (1-100)' },
      cursor: { type: 'string', value: 'C', description: 'the page after this cursor (with --limit)' },
    },
    examples: [
      'latchkey keys list',
      'latchkey keys list --status active --org acme',
      'latchkey keys list --limit 20 --json',
    ],
    async run(ctx) {
      const { values } = ctx;
      const params: Parameters<LatchkeyClient['listKeys']>[0] = {};
      if (values.org !== undefined) params.org_id = values.org as string;
      if (values.status !== undefined) {
        const status = values.status as string;
        if (status !== 'active' && status !== 'revoked' && status !== 'expired') {
          throw usage('--status must be active, revoked or expired');
        }
        params.status = status;
      }
      const client = ctx.client();
      if (values.limit !== undefined || values.cursor !== undefined) {
        if (values.limit !== undefined) params.limit = integer(values.limit as string, '--limit');
        if (values.cursor !== undefined) params.cursor = values.cursor as string;
        const page = await client.listKeys(params);
        if (ctx.json) return ctx.out(toJson(page));
        printKeyTable(ctx, page.keys);
        if (page.next_cursor !== null)
          ctx.err(`More keys: latchkey keys list --limit … --cursor ${page.next_cursor}`);
        return;
      }
      const keys: ApiKey[] = [];
      for await (const key of client.iterateKeys({ ...params, limit: 100 })) keys.push(key);
      if (ctx.json) return ctx.out(toJson({ keys, next_cursor: null }));
      printKeyTable(ctx, keys);
    },
  },
  {
    name: 'keys get',
    summary: 'show one key',
    usage: 'latchkey keys get ID',
    description: 'Shows a key: its roles, permissions, limits, status and usage. Never its secret.',
    args: ['ID'],
    api: true,
    options: {},
    examples: ['latchkey keys get 3hQx9TmP2wLk8ZrA', 'latchkey keys get 3hQx9TmP2wLk8ZrA --json'],
    async run(ctx) {
      const res = await ctx.client().getKey(ctx.args[0] as string);
      if (ctx.json) return ctx.out(toJson(res));
      ctx.out(fields(keyFields(res.key)));
    },
  },
  {
    name: 'keys revoke',
    summary: 'revoke a key, immediately and permanently',
    usage: 'latchkey keys revoke ID',
    description: 'Revokes a key: from the very next request it gets 401. Repeating it is harmless.',
    args: ['ID'],
    api: true,
    options: {},
    examples: ['latchkey keys revoke 3hQx9TmP2wLk8ZrA'],
    async run(ctx) {
      const res = await ctx.client().revokeKey(ctx.args[0] as string);
      if (ctx.json) return ctx.out(toJson(res));
      ctx.out(`Revoked key ${res.key.id} (${clean(res.key.name)}) at ${date(res.key.revoked_at)}.`);
    },
  },
  {
    name: 'keys rotate',
    summary: 'replace a key with a new one (prints the new raw key once)',
    usage: 'latchkey keys rotate ID [--grace SECONDS]',
    description:
      'Creates a new key with the same name, roles and limits and retires the old one when the grace\n' +
      'period ends (0, the default: at once). The new raw key is printed once; with --quiet only it is printed.',
    args: ['ID'],
    api: true,
    options: {
      grace: {
        type: 'string',
        value: 'SECONDS',
        description: 'keep the old key working this long (0-86400)',
      },
      quiet: { type: 'boolean', short: 'q', description: 'print only the new raw key' },
    },
    examples: ['latchkey keys rotate 3hQx9TmP2wLk8ZrA', 'latchkey keys rotate 3hQx9TmP2wLk8ZrA --grace 3600'],
    async run(ctx) {
      const id = ctx.args[0] as string;
      const grace =
        ctx.values.grace === undefined ? undefined : integer(ctx.values.grace as string, '--grace');
      const rotated = await ctx
        .client()
        .rotateKey(id, grace === undefined ? {} : { grace_period_seconds: grace });
      const until =
        grace === undefined || grace === 0
          ? 'The old key stopped working now.'
          : `The old key keeps working until ${date(new Date(Date.now() + grace * 1000).toISOString())}.`;
      printNewKey(ctx, rotated, `Rotated key ${id}: new key ${rotated.key.id}. ${until}`);
    },
  },
  {
    name: 'orgs get',
    summary: "show an organization's key limit and active keys (admin key)",
    usage: 'latchkey orgs get ORG',
    description: 'Shows how many active keys an organization holds and how many it may hold.',
    args: ['ORG'],
    api: true,
    options: {},
    examples: ['latchkey orgs get default'],
    async run(ctx) {
      const org = await ctx.client().getOrg(ctx.args[0] as string);
      if (ctx.json) return ctx.out(toJson(org));
      ctx.out(fields(orgFields(org)));
    },
  },
  {
    name: 'orgs set',
    summary: "set an organization's key limit (admin key)",
    usage: 'latchkey orgs set ORG --max-keys N|unlimited',
    description:
      'Sets how many active keys an organization may hold: a number (0 = no API keys) or "unlimited".\n' +
      'Lowering it below the active count keeps existing keys working; new ones are refused.',
    args: ['ORG'],
    api: true,
    options: {
      'max-keys': { type: 'string', value: 'N|unlimited', description: 'the limit (required)' },
    },
    examples: ['latchkey orgs set acme --max-keys 10', 'latchkey orgs set acme --max-keys unlimited'],
    async run(ctx) {
      const raw = required(ctx.values, 'max-keys');
      const max = raw === 'unlimited' ? null : integer(raw, '--max-keys');
      const org = await ctx.client().setOrgLimit(ctx.args[0] as string, max);
      if (ctx.json) return ctx.out(toJson(org));
      ctx.out(fields(orgFields(org)));
    },
  },
  {
    name: 'whoami',
    summary: 'show who the key is and what it may do',
    usage: 'latchkey whoami',
    description:
      'Shows the principal behind the key in use (admin or an API key), its organization and permissions.',
    args: [],
    api: true,
    options: {},
    examples: ['latchkey whoami', 'LATCHKEY_KEY=$KEY latchkey whoami --sign'],
    async run(ctx) {
      const me = await ctx.client().whoami();
      if (ctx.json) return ctx.out(toJson(me));
      const rows: Array<[string, string]> = [
        ['principal', me.principal],
        ['org', me.org_id ?? 'any (default: default)'],
        ['permissions', me.permissions.join(', ')],
      ];
      if (me.key)
        rows.push(...keyFields(me.key).filter(([label]) => label !== 'org' && label !== 'permissions'));
      ctx.out(fields(rows));
    },
  },
  {
    name: 'request',
    summary: 'call any route with the key, signed with --sign (a signing curl)',
    usage:
      'latchkey request METHOD PATH [--data JSON|@file|@-] [--header "Name: value"]… [--sign] [--include]',
    description:
      'Sends one request to PATH (relative to the base URL, query string allowed) with the key as a bearer\n' +
      'token, or signed with ARMOR-PSK (fresh nonce, timestamp and Content-Digest) with --sign. Prints the\n' +
      'response body; a non-2xx status is an error (exit 1). --data sends a body (Content-Type defaults to\n' +
      'application/json): text, @file to read a file, or @- to read stdin.',
    args: ['METHOD', 'PATH'],
    api: true,
    options: {
      data: { type: 'string', short: 'd', value: 'BODY', description: 'request body: text, @file or @-' },
      header: {
        type: 'string',
        short: 'H',
        multiple: true,
        value: '"Name: value"',
        description: 'extra header',
      },
      include: { type: 'boolean', short: 'i', description: 'print the status line and headers too' },
    },
    examples: [
      'latchkey request GET /v1/whoami',
      `latchkey request POST /v1/echo/orders --data '{"sku": "A-1", "qty": 2}' --sign`,
      'latchkey request PUT /v1/echo/config --data @config.json --sign',
    ],
    async run(ctx) {
      const [rawMethod, path] = ctx.args as [string, string];
      const method = rawMethod.toUpperCase();
      if (!/^[A-Z]+$/.test(method))
        throw usage(`METHOD must be an HTTP method such as GET or POST, got "${clean(rawMethod)}"`);
      if (!path.startsWith('/')) throw usage(`PATH must start with "/", e.g. /v1/whoami`);
      const headers = new Headers();
      for (const header of (ctx.values.header as string[] | undefined) ?? []) {
        const colon = header.indexOf(':');
        if (colon <= 0) throw usage(`--header must look like "Name: value", got "${clean(header)}"`);
        const name = header.slice(0, colon).trim();
        if (name.toLowerCase() === 'authorization')
          throw usage('--header cannot set Authorization; use --key');
        try {
          headers.append(name, header.slice(colon + 1).trim());
        } catch {
          throw usage(`--header "${clean(name)}" is not a valid header`);
        }
      }
      let body: string | undefined;
      if (ctx.values.data !== undefined) {
        if (method === 'GET' || method === 'HEAD') throw usage(`a ${method} request cannot have --data`);
        body = readData(ctx.values.data as string);
        if (!headers.has('content-type')) headers.set('content-type', 'application/json');
      }
      const res = await ctx.client().fetch(path, { method, headers, body: body ?? null });
      const text = await res.text();
      if (ctx.values.include) {
        const head = [`HTTP ${res.status} ${res.statusText}`];
        res.headers.forEach((value, name) => {
          head.push(`${name}: ${value}`);
        });
        ctx.out(`${head.join('\n')}\n`);
      }
      if (!res.ok) {
        if (ctx.values.include) ctx.out(text);
        throw LatchkeyError.fromBody(res.status, res.statusText, res.headers, text, { method, path });
      }
      if (text !== '') ctx.out(text.endsWith('\n') ? text.slice(0, -1) : text);
    },
  },
  {
    name: 'admin-key',
    summary: 'print the admin key from Secrets Manager (deployed stack or local mode)',
    usage:
      'latchkey admin-key (--stack NAME | --secret-id ID | --local | --endpoint-url URL) [--region R] [--profile P]',
    description:
      'Reads the admin key the way an operator does: from Secrets Manager, with your AWS credentials.\n' +
      "  --secret-id   the secret (the stack's AdminKeySecretArn output)\n" +
      "  --stack       find the secret from the stack's outputs (needs @aws-sdk/client-cloudformation)\n" +
      "  --local       local mode's endpoint (http://127.0.0.1:8788, or PORT+1 / LATCHKEY_SECRETS_PORT)\n" +
      '  --endpoint-url  any Secrets Manager endpoint; dummy credentials, default secret latchkey/admin-key\n' +
      'It prints the key and nothing else, so that ADMIN_KEY=$(latchkey admin-key …) works.',
    args: [],
    api: false,
    options: {
      stack: { type: 'string', value: 'NAME', description: 'CloudFormation stack name (e.g. Latchkey)' },
      'secret-id': { type: 'string', value: 'ID', description: 'secret name or ARN' },
      local: { type: 'boolean', description: "local mode's Secrets Manager endpoint" },
      'endpoint-url': { type: 'string', value: 'URL', description: 'Secrets Manager endpoint (local mode)' },
      region: { type: 'string', value: 'REGION', description: 'AWS region (default: $AWS_REGION)' },
      profile: { type: 'string', value: 'PROFILE', description: 'AWS profile (default: $AWS_PROFILE)' },
    },
    examples: [
      'latchkey admin-key --local',
      'latchkey admin-key --stack Latchkey --region eu-west-1',
      'latchkey admin-key --secret-id arn:aws:secretsmanager:eu-west-1:123456789012:secret:LatchkeyAdminKey-AbCdEf',
    ],
    run: adminKey,
  },
];

const GROUPS: Record<string, string> = {
  keys: 'create, list, show, revoke and rotate API keys',
  orgs: "read and set organizations' key limits (admin key)",
};

// ---------------------------------------------------------------------------------------------------
// main

interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
}

async function main(argv: string[], io: Io): Promise<number> {
  const debug = argv.includes('--debug');
  try {
    return await dispatch(argv, io);
  } catch (error) {
    io.stderr(`${errorLine(error)}\n`);
    if (debug && error instanceof Error && error.stack) io.stderr(`${error.stack}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  }
}

async function dispatch(argv: string[], io: Io): Promise<number> {
  const { words, rest } = splitCommand(argv);
  if (words.length === 0) {
    if (rest.includes('--version') || rest.includes('-v')) {
      io.stdout(`${version()}\n`);
      return 0;
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout(topHelp());
      return 0;
    }
    io.stderr(topHelp());
    return 2;
  }
  if (words[0] === 'help') {
    return dispatch([...words.slice(1), '--help'], io);
  }
  const [group, sub] = words as [string, string | undefined];
  let command = COMMANDS.find((c) => c.name === group);
  if (!command && GROUPS[group] !== undefined) {
    if (sub === undefined) {
      if (rest.includes('--help') || rest.includes('-h')) {
        io.stdout(groupHelp(group));
        return 0;
      }
      io.stderr(groupHelp(group));
      return 2;
    }
    command = COMMANDS.find((c) => c.name === `${group} ${sub}`);
    if (!command) throw usage(`unknown command "${clean(`${group} ${sub}`)}" (see latchkey ${group} --help)`);
    words.splice(0, 2);
  } else if (command) {
    words.splice(0, 1);
  } else {
    throw usage(`unknown command "${clean(group)}" (see latchkey --help)`);
  }
  const options = { ...command.options, ...(command.api ? API_OPTIONS : {}), ...GLOBAL_OPTIONS };
  let values: Values;
  let positionals: string[];
  try {
    const parsed = parseArgs({
      args: [...words, ...rest],
      options: toParseArgs(options),
      allowPositionals: true,
      strict: true,
    });
    values = parsed.values as Values;
    positionals = parsed.positionals;
  } catch (error) {
    const message = oneLine(error instanceof Error ? error.message : String(error))
      .replace(/ To specify a positional argument .*$/, '')
      .replace(/\.$/, '');
    throw usage(`${message} (see latchkey ${command.name} --help)`);
  }
  if (values.help) {
    io.stdout(commandHelp(command));
    return 0;
  }
  if (positionals.length !== command.args.length) {
    const expected = command.args.length === 0 ? 'no arguments' : command.args.join(' ');
    throw usage(`${command.name} takes ${expected} (see latchkey ${command.name} --help)`);
  }
  const ctx: Context = {
    values,
    args: positionals,
    env: io.env,
    json: values.json === true,
    out: (text) => io.stdout(`${text}\n`),
    err: (text) => io.stderr(`${text}\n`),
    client: () => makeClient(values, io.env),
  };
  await command.run(ctx);
  return 0;
}

/** Finds the command words (the first one or two positionals), leaving options and arguments in order. */
function splitCommand(argv: string[]): { words: string[]; rest: string[] } {
  const takesValue = new Set<string>();
  const shortTakesValue = new Set<string>();
  for (const spec of [API_OPTIONS, GLOBAL_OPTIONS, ...COMMANDS.map((c) => c.options)]) {
    for (const [name, option] of Object.entries(spec)) {
      if (option.type !== 'string') continue;
      takesValue.add(`--${name}`);
      if (option.short) shortTakesValue.add(`-${option.short}`);
    }
  }
  const words: string[] = [];
  const rest: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === '--') break;
    if (token.startsWith('-') && token !== '-') {
      rest.push(token);
      if (
        !token.includes('=') &&
        (takesValue.has(token) || shortTakesValue.has(token)) &&
        i + 1 < argv.length
      ) {
        rest.push(argv[++i] as string);
      }
      continue;
    }
    const isGroup = words.length === 1 && GROUPS[words[0] as string] !== undefined;
    if (words.length === 0 || isGroup || (words.length === 1 && words[0] === 'help')) words.push(token);
    else if (words[0] === 'help' && words.length === 2 && GROUPS[words[1] as string] !== undefined)
      words.push(token);
    else rest.push(token);
  }
  rest.push(...argv.slice(i));
  return { words, rest };
}

function toParseArgs(options: Record<string, OptionSpec>): NonNullable<ParseArgsConfig['options']> {
  const out: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, spec] of Object.entries(options)) {
    out[name] = {
      type: spec.type,
      ...(spec.short ? { short: spec.short } : {}),
      ...(spec.multiple ? { multiple: true } : {}),
    };
  }
  return out;
}

function makeClient(values: Values, env: NodeJS.ProcessEnv): LatchkeyClient {
  const baseUrl = (values.url as string | undefined) ?? env.LATCHKEY_URL;
  const key = (values.key as string | undefined) ?? env.LATCHKEY_KEY;
  if (!baseUrl) {
    throw new CliError(
      'missing_config',
      'no API URL: set LATCHKEY_URL (e.g. http://127.0.0.1:8787) or pass --url',
      2,
    );
  }
  if (!key) {
    throw new CliError(
      'missing_config',
      'no key: set LATCHKEY_KEY to the admin key or an API-key token (or pass --key)',
      2,
    );
  }
  const timeoutMs = values.timeout === undefined ? undefined : integer(values.timeout as string, '--timeout');
  try {
    return new LatchkeyClient({
      baseUrl,
      key,
      sign: values.sign === true,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
  } catch (error) {
    // The SDK's messages never contain the key.
    throw new CliError('usage_error', error instanceof Error ? error.message : String(error), 2);
  }
}

// ---------------------------------------------------------------------------------------------------
// admin-key

async function adminKey(ctx: Context): Promise<void> {
  const { values, env } = ctx;
  const stack = values.stack as string | undefined;
  let secretId = values['secret-id'] as string | undefined;
  let endpoint = values['endpoint-url'] as string | undefined;
  if (values.local) {
    if (endpoint !== undefined) throw usage('use either --local or --endpoint-url');
    const port = env.LATCHKEY_SECRETS_PORT || String(Number(env.PORT || 8787) + 1);
    endpoint = `http://127.0.0.1:${port}`;
  }
  if (stack !== undefined && secretId !== undefined)
    throw usage('use either --stack or --secret-id, not both');
  if (stack !== undefined && endpoint !== undefined)
    throw usage('--stack reads a deployed stack; drop --local/--endpoint-url');
  if (stack === undefined && secretId === undefined && endpoint === undefined) {
    throw usage('admin-key needs --stack NAME, --secret-id ID or --local (see latchkey admin-key --help)');
  }
  if (endpoint !== undefined && !/^https?:\/\/[^/]/.test(endpoint))
    throw usage('--endpoint-url must be an http(s) URL');
  const region = (values.region as string | undefined) ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const profile = values.profile as string | undefined;
  const clientConfig: Record<string, unknown> = {};
  if (region) clientConfig.region = region;
  if (profile) clientConfig.profile = profile;

  if (stack !== undefined) {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    secretId = await secretFromStack(stack, clientConfig);
  }
  if (endpoint !== undefined) {
    clientConfig.endpoint = endpoint;
    clientConfig.region ??= 'us-east-1';
    clientConfig.credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
    secretId ??= LOCAL_ADMIN_KEY_SECRET_ID;
  }
  const id = secretId as string;
  // The SDK's Node-version notice is for developers, not for the operator running this command.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let sm: typeof import('@aws-sdk/client-secrets-manager');
  try {
    sm = await import('@aws-sdk/client-secrets-manager');
  } catch {
    throw new CliError(
      'missing_dependency',
      'admin-key needs @aws-sdk/client-secrets-manager (npm install @aws-sdk/client-secrets-manager)',
    );
  }
  const client = new sm.SecretsManagerClient(clientConfig);
  let value: string | undefined;
  try {
    const out = await client.send(new sm.GetSecretValueCommand({ SecretId: id }));
    value = out.SecretString;
  } catch (error) {
    throw awsError(error, `reading secret ${id}${endpoint ? ` from ${endpoint}` : ''}`, endpoint);
  } finally {
    client.destroy();
  }
  if (!value) throw new CliError('secret_empty', `secret ${id} has no string value`);
  ctx.out(ctx.json ? toJson({ admin_key: value, secret_id: id }) : value);
}

async function secretFromStack(stack: string, clientConfig: Record<string, unknown>): Promise<string> {
  // Not a dependency of latchkey (yet): loaded only here, so every other command works without it.
  const specifier: string = CLOUDFORMATION_PACKAGE;
  let cfn: {
    CloudFormationClient: new (
      config: Record<string, unknown>,
    ) => {
      send(
        command: unknown,
      ): Promise<{ Stacks?: Array<{ Outputs?: Array<{ OutputKey?: string; OutputValue?: string }> }> }>;
      destroy(): void;
    };
    DescribeStacksCommand: new (input: { StackName: string }) => unknown;
  };
  try {
    cfn = await import(specifier);
  } catch {
    throw new CliError(
      'missing_dependency',
      `--stack needs ${CLOUDFORMATION_PACKAGE} (npm install ${CLOUDFORMATION_PACKAGE}); ` +
        `or pass --secret-id with the stack's ${ADMIN_KEY_OUTPUT} output`,
    );
  }
  const client = new cfn.CloudFormationClient(clientConfig);
  try {
    const out = await client.send(new cfn.DescribeStacksCommand({ StackName: stack }));
    const output = out.Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === ADMIN_KEY_OUTPUT)?.OutputValue;
    if (!output) {
      throw new CliError(
        'not_found',
        `stack ${stack} has no ${ADMIN_KEY_OUTPUT} output (is it a latchkey stack?)`,
      );
    }
    return output;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw awsError(error, `describing stack ${stack}`, undefined);
  } finally {
    client.destroy();
  }
}

function awsError(error: unknown, doing: string, endpoint: string | undefined): CliError {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const network = /ECONNREFUSED|ENOTFOUND|ECONNRESET|EHOSTUNREACH|ETIMEDOUT|socket hang up/.test(
    `${message} ${(error as { code?: string })?.code ?? ''}`,
  );
  if (network) {
    const hint = endpoint ? ' (is `npm start` running?)' : '';
    return new CliError('network_error', `${doing}: could not reach ${endpoint ?? 'AWS'}${hint}`);
  }
  if (name === 'ResourceNotFoundException') return new CliError('not_found', `${doing}: ${message}`);
  if (name === 'CredentialsProviderError') return new CliError('aws_credentials', `${doing}: ${message}`);
  return new CliError('aws_error', `${doing}: ${name}: ${message}`);
}

// ---------------------------------------------------------------------------------------------------
// output

function printNewKey(ctx: Context, created: NewKeyResponse, headline: string): void {
  if (ctx.json) {
    ctx.out(toJson(created));
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

function keyFields(key: ApiKey): Array<[string, string]> {
  return [
    ['id', key.id],
    ['name', clean(key.name)],
    ['description', key.description === null ? '-' : clean(key.description)],
    ['org', clean(key.org_id)],
    ['key prefix', key.key_prefix],
    ['status', key.status],
    ['roles', key.roles.join(', ') || '-'],
    ['permissions', key.permissions.join(', ') || '-'],
    ['rate limit', `${key.rate_limit_per_minute}/min`],
    ['created', `${date(key.created_at)} by ${clean(key.created_by)}`],
    ['expires', key.expires_at === null ? 'never' : date(key.expires_at)],
    ['revoked', date(key.revoked_at)],
    ['last used', date(key.last_used_at)],
    ['calls', String(key.calls)],
  ];
}

function orgFields(org: Org): Array<[string, string]> {
  return [
    ['org', clean(org.org_id)],
    ['max keys', org.max_keys === null ? 'unlimited' : String(org.max_keys)],
    ['active keys', String(org.active_keys)],
  ];
}

function printKeyTable(ctx: Context, keys: ApiKey[]): void {
  if (keys.length === 0) {
    ctx.out('No keys.');
    return;
  }
  ctx.out(
    table(
      ['ID', 'NAME', 'ORG', 'STATUS', 'ROLES', 'RATE/MIN', 'CALLS', 'LAST USED', 'CREATED'],
      keys.map((k) => [
        k.id,
        clean(k.name),
        clean(k.org_id),
        k.status,
        k.roles.join(',') || '-',
        String(k.rate_limit_per_minute),
        String(k.calls),
        date(k.last_used_at),
        date(k.created_at),
      ]),
    ),
  );
}

/** Columns padded with spaces; no trailing whitespace. */
function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

function fields(rows: Array<[string, string]>): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`.trimEnd()).join('\n');
}

function date(iso: string | null): string {
  if (iso === null) return '-';
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** Control characters (newlines, escape sequences) in user-supplied text never reach the terminal raw. */
function clean(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

function errorLine(error: unknown): string {
  if (error instanceof LatchkeyError) {
    const id = error.requestId ? ` (request_id ${error.requestId})` : '';
    return `latchkey: ${error.code}: ${oneLine(error.message)}${id}`;
  }
  if (error instanceof CliError) return `latchkey: ${error.code}: ${oneLine(error.message)}`;
  const message = error instanceof Error ? error.message : String(error);
  return `latchkey: internal_error: ${oneLine(message)} (run with --debug for details)`;
}

function oneLine(text: string): string {
  return clean(text.replace(/\s*\n\s*/g, ' '));
}

// ---------------------------------------------------------------------------------------------------
// input

function required(values: Values, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw usage(`--${name} is required`);
  return value;
}

function integer(raw: string, flag: string): number {
  if (!/^-?\d+$/.test(raw.trim())) throw usage(`${flag} must be an integer, got "${clean(raw)}"`);
  const value = Number(raw.trim());
  if (!Number.isSafeInteger(value)) throw usage(`${flag} is out of range`);
  return value;
}

function readData(data: string): string {
  if (!data.startsWith('@')) return data;
  const file = data.slice(1);
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'error';
    throw new CliError('usage_error', `cannot read --data file ${clean(file)} (${code})`, 2);
  }
}

// ---------------------------------------------------------------------------------------------------
// help

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function topHelp(): string {
  const rows = COMMANDS.map((c) => [`  ${c.name}`, c.summary]);
  return [
    'latchkey: manage latchkey API keys from the command line.',
    '',
    'Usage: latchkey <command> [options]',
    '',
    'Commands:',
    table(['', ''], rows).split('\n').slice(1).join('\n'),
    '',
    'Configuration:',
    '  LATCHKEY_URL   API base URL, e.g. http://127.0.0.1:8787 (npm start) or the stack ApiUrl output',
    '  LATCHKEY_KEY   the admin key or an API-key token',
    '  --url and --key override them; --json prints the API response as JSON; --debug shows stack traces.',
    '',
    'Examples:',
    '  export LATCHKEY_URL=http://127.0.0.1:8787',
    '  export LATCHKEY_KEY=$(latchkey admin-key --local)',
    '  latchkey keys create --name billing --role member',
    '  latchkey keys list',
    '',
    'Run latchkey <command> --help for details. Exit codes: 0 ok, 1 error, 2 usage error.',
    '',
  ].join('\n');
}

function groupHelp(group: string): string {
  const rows = COMMANDS.filter((c) => c.name.startsWith(`${group} `)).map((c) => [`  ${c.name}`, c.summary]);
  return [
    `latchkey ${group}: ${GROUPS[group]}`,
    '',
    `Usage: latchkey ${group} <command> [options]`,
    '',
    'Commands:',
    table(['', ''], rows).split('\n').slice(1).join('\n'),
    '',
    `Run latchkey ${group} <command> --help for details and examples.`,
    '',
  ].join('\n');
}

function commandHelp(command: Command): string {
  const optionRows = (options: Record<string, OptionSpec>) =>
    Object.entries(options).map(([name, spec]) => [
      `  ${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.value ? ` ${spec.value}` : ''}`,
      spec.description,
    ]);
  const section = (title: string, options: Record<string, OptionSpec>) => {
    const rows = optionRows(options);
    return rows.length === 0 ? [] : [title, table(['', ''], rows).split('\n').slice(1).join('\n'), ''];
  };
  return [
    `Usage: ${command.usage}`,
    '',
    command.description,
    '',
    ...section('Options:', command.options),
    ...section('Connection:', command.api ? API_OPTIONS : {}),
    ...section('Global options:', GLOBAL_OPTIONS),
    'Examples:',
    ...command.examples.map((e) => `  ${e}`),
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------
// entry point

process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
});
