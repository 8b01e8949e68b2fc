/**
 * `LatchkeyFunction`: one latchkey Lambda with everything each of them gets — Node.js 24 on arm64,
 * the code `npm run build` prebundled into `dist/lambda/<name>/` (ESM, minified, AWS SDK bundled in;
 * see lib/cdk/bundling.ts), its own log group with retention, active X-Ray tracing, and its own role that
 * can write to that log group and nothing else until a grant method adds what it needs. Also where the
 * package root is: this module runs as `lib/cdk/latchkey-function.ts` in a checkout and inside
 * `dist/cdk/index.js` from node_modules, and both find the bundles from the nearest package.json.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { checkSetting, LAMBDA_MEMORY_MB, SETTINGS, throwProblems } from '../core/settings';
import { LAMBDA_BUNDLE_DIR, LAMBDA_ENTRIES, LAMBDA_HANDLER, type LambdaName } from './bundling';

/** The package root: the nearest directory above this module with a package.json. */
export const PROJECT_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** Absolute path of a file in the package, from a path relative to its root. */
export function projectPath(relative: string): string {
  return join(PROJECT_ROOT, relative);
}

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`latchkey: no package.json above ${from}`);
  }
}

/** The prebundled code of one Lambda; a clear error when `npm run build` has not made it. */
function bundledCode(entry: string): lambda.Code {
  const name = (Object.keys(LAMBDA_ENTRIES) as LambdaName[]).find((n) => LAMBDA_ENTRIES[n] === entry);
  if (name === undefined) {
    throw new Error(
      `latchkey: no prebundled Lambda for ${entry} (see LAMBDA_ENTRIES in lib/cdk/bundling.ts)`,
    );
  }
  const dir = projectPath(join(LAMBDA_BUNDLE_DIR, name));
  if (!existsSync(join(dir, 'index.mjs'))) {
    throw new Error(`latchkey: the Lambda bundle ${dir}/index.mjs is missing; run \`npm run build\``);
  }
  return lambda.Code.fromAsset(dir);
}

export interface LatchkeyFunctionProps {
  /**
   * The handler file, relative to the repository root; it must export `handler` and be listed in
   * `LAMBDA_ENTRIES` (lib/cdk/bundling.ts), which `npm run build` prebundles.
   */
  readonly entry: string;
  /** What the function does (shown in the Lambda console). */
  readonly description: string;
  /**
   * Memory in MB (128–10240). CPU scales with it, so it also sets how fast a cold start is.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
  /**
   * How long the function's log group keeps logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Environment variables set at creation. Grant methods (see `LatchkeyKeyStore`) add their own.
   * @default - none
   */
  readonly environment?: Record<string, string>;
}

/**
 * One latchkey Lambda. Its role (`<id>Role`) and log group (`<id>Logs`) are created next to it, in
 * the same scope, because a function needs both when it is constructed. No AWS managed policy is
 * attached.
 */
export class LatchkeyFunction extends lambda.Function {
  /** The function's own execution role. */
  declare public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: LatchkeyFunctionProps) {
    const memorySize = props.memorySize ?? LAMBDA_MEMORY_MB.default;
    throwProblems(`${scope.node.path}/${id}`, [
      checkSetting({ context: false, kind: 'integer', ...LAMBDA_MEMORY_MB }, memorySize, {
        as: 'memorySize',
      }),
    ]);
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? (SETTINGS.logRetentionDays.default as logs.RetentionDays),
    });
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role: ${props.description}`,
    });
    logGroup.grantWrite(role);

    super(scope, id, {
      code: bundledCode(props.entry),
      handler: LAMBDA_HANDLER,
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize,
      timeout: props.timeout ?? Duration.seconds(10),
      role,
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
      environment: props.environment,
    });

    // Active tracing makes CDK add xray:PutTraceSegments and xray:PutTelemetryRecords on "*".
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only the X-Ray statement added by Tracing.ACTIVE uses "*": xray:PutTraceSegments and ' +
        'xray:PutTelemetryRecords support no resource-level permissions. Data-plane grants name the ' +
        'table and secret ARNs (checked by test/infra).',
    });
  }
}
