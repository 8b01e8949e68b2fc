/**
 * `npm start`: latchkey on this machine. DynamoDB Local (AWS's own), a local Secrets Manager
 * endpoint and a local API Gateway running the same authorizer and handlers as the deployed stack,
 * until Ctrl-C. The same as `npx latchkey dev` (lib/local/dev.ts).
 */
import { runDev, startFailure } from '../lib/local/dev';

try {
  await runDev({ env: process.env, out: (line) => process.stdout.write(`${line}\n`) });
  process.exit(0);
} catch (error) {
  process.stderr.write(`${startFailure(error)}\n`);
  process.exit(1);
}
