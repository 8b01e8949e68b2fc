import { readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * `latchkey/verify` as `npm run build` writes it (dist/verify, npm test builds first): its import graph
 * holds latchkey's own code and nothing from node_modules — no aws-cdk-lib, no constructs, no logger —
 * and imports only the two AWS SDK clients (optional peer dependencies) and Node built-ins. The adapters
 * import no framework at run time (types only): a user's bundle grows by the verifier alone.
 */
const dist = new URL('../../dist/verify/', import.meta.url);
const graph = JSON.parse(readFileSync(new URL('inputs.json', dist), 'utf8')) as {
  sources: string[];
  external: string[];
};

describe('the latchkey/verify bundles', () => {
  it('hold only latchkey sources: nothing from node_modules, nothing of the constructs', () => {
    expect(graph.sources.filter((file) => file.includes('node_modules'))).toEqual([]);
    expect(graph.sources.filter((file) => file.startsWith('lib/cdk/'))).toEqual([]);
    expect(graph.sources).toContain('lib/core/verify.ts');
  });

  it('import the DynamoDB and Secrets Manager clients and Node built-ins, nothing else', () => {
    expect(graph.external.filter((name) => !name.startsWith('node:'))).toEqual([
      '@aws-sdk/client-dynamodb',
      '@aws-sdk/client-secrets-manager',
    ]);
    for (const file of ['index.js', 'lambda.js', 'hono.js', 'express.js']) {
      const code = readFileSync(new URL(file, dist), 'utf8');
      expect(code, file).not.toMatch(/from ["'](hono|express|aws-cdk-lib|constructs)["']/);
    }
  });

  it('the adapters are a few kilobytes each; the verifier under 120 KB unminified', () => {
    for (const file of ['lambda.js', 'hono.js', 'express.js']) {
      expect(statSync(new URL(file, dist)).size, file).toBeLessThan(5 * 1024);
    }
    // Three schemes (bearer, ARMOR-PSK, RFC 9421 with its structured-field parser), credits and usage by
    // outcome: 106 KB measured when RFC 9421 landed.
    expect(statSync(new URL('index.js', dist)).size).toBeLessThan(120 * 1024);
  });
});
