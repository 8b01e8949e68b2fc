/**
 * `npm run openapi`: writes the generated OpenAPI document to docs/openapi.json (test/unit/openapi.test.ts
 * fails when the committed file and the generator disagree).
 */
import { writeFileSync } from 'node:fs';
import { openApiJson } from '../lib/core/openapi';

const target = new URL('../docs/openapi.json', import.meta.url);
writeFileSync(target, openApiJson());
process.stdout.write(`wrote ${target.pathname}\n`);
