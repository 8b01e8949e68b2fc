import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { projectPath } from '#cdk/latchkey-function';
import { LatchkeyStack, type LatchkeyStackProps } from '#cdk/latchkey-stack';

/** The feature flags and settings `npx cdk synth` uses, so tests synthesize the same template. */
export const CDK_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(projectPath('cdk.json'), 'utf8'),
).context;

/** Synth-heavy tests get a long timeout (2 shared cores). */
export const SYNTH_TIMEOUT = { timeout: 120_000 };

export interface AppOptions {
  /** Run the built-in CloudFormation validation (slow: ~2 s engine start). @default false */
  readonly validation?: boolean;
  /** Register cdk-nag's AwsSolutionsChecks, as bin/latchkey.ts does. @default false */
  readonly nag?: boolean;
}

/** An App with cdk.json's context, bundling skipped, and validation off unless asked for. */
export function testApp(options: AppOptions = {}): App {
  const app = new App({
    context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: options.validation ?? false,
  });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

export interface ValidationViolation {
  ruleName: string;
  description: string;
  severity?: string;
  violatingConstructs: { constructPath: string }[];
}

export interface ValidationReport {
  pluginReports: { pluginName: string; conclusion: string; violations: ValidationViolation[] }[];
}

export interface Synthesized {
  template: Template;
  stack: Stack;
  /** The validation report CDK wrote next to the templates (nag and CloudFormation validation). */
  report: ValidationReport;
}

/** Synthesizes the whole app and returns one stack's template with the app's validation report. */
export function synthesize(app: App, stack: Stack): Synthesized {
  const assembly = app.synth();
  const template = Template.fromJSON(assembly.getStackArtifact(stack.artifactId).template);
  const reportFile = join(assembly.directory, 'validation-report.json');
  let report: ValidationReport = { pluginReports: [] };
  try {
    report = JSON.parse(readFileSync(reportFile, 'utf8')) as ValidationReport;
  } catch {
    // no report file: no plugin ran
  }
  return { template, stack, report };
}

export function synthLatchkey(props: LatchkeyStackProps = {}, options: AppOptions = {}): Synthesized {
  const app = testApp(options);
  const stack = new LatchkeyStack(app, 'Latchkey', props);
  return synthesize(app, stack);
}

type Json = Record<string, unknown>;

/** Resources of one type, as [logicalId, resource] pairs. */
export function resourcesOf(template: Template, type: string): [string, Json][] {
  return Object.entries(template.findResources(type)) as [string, Json][];
}

export function propsOf(resource: Json): Json {
  return (resource.Properties ?? {}) as Json;
}
