/**
 * `latchkey/cdk`: the constructs, for your own CDK app (`import { LatchkeyAuthorizer } from
 * 'latchkey/cdk'`). `npm run build` bundles this module into `dist/cdk/index.js` with `aws-cdk-lib`
 * and `constructs` left to the user's copies (peer dependencies); the Lambda code they deploy is
 * prebundled in `dist/lambda/`, so a user's synth runs neither esbuild nor our TypeScript.
 */
export {
  type ApplicationRoute,
  LatchkeyAuthorizer,
  type LatchkeyAuthorizerProps,
  type ProtectHttpOptions,
  type ProtectOptions,
} from './authorizer';
export { propsFromContext } from './context-props';
export { LatchkeyEvents, type LatchkeyEventsProps } from './events';
export { type GrantVerifyOptions, LatchkeyKeyStore, type LatchkeyKeyStoreProps } from './key-store';
export { LatchkeyApi, type LatchkeyApiProps } from './latchkey-api';
export { LatchkeyFunction, type LatchkeyFunctionProps } from './latchkey-function';
export { LatchkeyStack, type LatchkeyStackProps } from './latchkey-stack';
export { type LatchkeyAlarmThresholds, LatchkeyMonitoring, type LatchkeyMonitoringProps } from './monitoring';
export type { StageProps } from './rest-api';
