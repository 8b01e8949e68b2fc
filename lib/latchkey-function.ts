/**
 * `LatchkeyFunction`: one latchkey Lambda, a `NodejsFunction` with everything each of them gets —
 * Node.js 24 on arm64, bundled locally by esbuild (ESM, minified, AWS SDK bundled in, no Docker), its
 * own log group with retention, active X-Ray tracing, and its own role that can write to that log
 * group and nothing else until a grant method adds what it needs. Also where the repository root is,
 * for entry paths.
 */
import { fileURLToPath } from 'node:url';
import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { LAMBDA_MEMORY_MB, SETTINGS } from '../lambdas/core/settings';
import {
  BUNDLE_MAIN_FIELDS,
  BUNDLE_TARGET,
  CREDENTIAL_PROVIDER,
  ENV_CREDENTIALS_ENTRY,
  ESM_REQUIRE_SHIM,
} from './bundling';

/** The repository root (this file lives in `lib/`). */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Absolute path of a file in the repository, from a path relative to its root. */
export function projectPath(relative: string): string {
  return fileURLToPath(new URL(`../${relative}`, import.meta.url));
}

export interface LatchkeyFunctionProps {
  /** The handler file, relative to the repository root; it must export `handler`. */
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
export class LatchkeyFunction extends NodejsFunction {
  /** The function's own execution role. */
  declare public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: LatchkeyFunctionProps) {
    const memorySize = props.memorySize ?? LAMBDA_MEMORY_MB.default;
    const { min, max } = LAMBDA_MEMORY_MB;
    if (!Number.isInteger(memorySize) || memorySize < min || memorySize > max) {
      throw new Error(
        `${scope.node.path}/${id}: memorySize must be an integer from ${min} to ${max} MB, got ${memorySize}`,
      );
    }
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? (SETTINGS.logRetentionDays.default as logs.RetentionDays),
    });
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role: ${props.description}`,
    });
    logGroup.grantWrite(role);

    super(scope, id, {
      entry: projectPath(props.entry),
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize,
      timeout: props.timeout ?? Duration.seconds(10),
      role,
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
      environment: props.environment,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: projectPath('package-lock.json'),
      bundling: {
        format: OutputFormat.ESM,
        mainFields: BUNDLE_MAIN_FIELDS,
        target: BUNDLE_TARGET,
        minify: true,
        sourceMap: false,
        // Bundle the AWS SDK rather than load the runtime's copy: smaller cold start, pinned version.
        externalModules: [],
        banner: ESM_REQUIRE_SHIM,
        // Lambda supplies credentials in the environment: skip the SDK's full provider chain.
        esbuildArgs: { [`--alias:${CREDENTIAL_PROVIDER}`]: ENV_CREDENTIALS_ENTRY },
        forceDockerBundling: false,
      },
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
