import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { propsFromContext } from '../lib/cdk/context-props';
import { LatchkeyStack } from '../lib/cdk/latchkey-stack';

const app = new App();

// Environment-agnostic: `cdk deploy` uses the account and region of your AWS CLI profile, and the
// template is the same on every machine (synth needs no credentials and no network).
new LatchkeyStack(app, 'Latchkey', propsFromContext(app.node.getAllContext()));

// AWS Solutions checks on every synth: an unacknowledged finding fails `cdk synth` and `cdk deploy`.
// Acknowledgements sit next to the resources they concern, in lib/.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
