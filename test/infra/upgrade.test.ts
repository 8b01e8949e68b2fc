/**
 * What an upgrade must not replace. CloudFormation replaces a resource whose logical id changes (the new
 * one is created, the old one deleted — or, with RETAIN, orphaned), and a table whose key schema changes;
 * a secret whose `GenerateSecretString` changes gets a new generated value. Any of these on the key
 * table or the two secrets would lose every key (or every key's signing secret, or the admin key) on
 * `cdk deploy`. The logical ids and properties below are 0.1.0's: they stay as they are, and a change
 * here is a breaking change that docs/operations.md#upgrading must spell out.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { SYNTH_TIMEOUT, synthLatchkey } from './support';

/** The stateful resources of the default stack (`LatchkeyStack`), by their 0.1.0 logical ids. */
const STATEFUL = {
  KeyStoreTable117FAEE3: 'AWS::DynamoDB::Table',
  KeyStoreAdminKeyBEB00C9D: 'AWS::SecretsManager::Secret',
  KeyStoreSigningSecret95D3178A: 'AWS::SecretsManager::Secret',
} as const;
/** The REST API: a new one would be a new URL for every client. */
const REST_API = 'ApiRestApiE35FEAFE';

let template: Template;
type Resource = {
  Type: string;
  Properties: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
};
const resource = (id: string) => (template.toJSON().Resources as Record<string, Resource>)[id];

beforeAll(() => {
  template = synthLatchkey().template;
}, SYNTH_TIMEOUT.timeout);

describe('an upgrade keeps the stateful resources', () => {
  it('the table and both secrets keep their logical ids, and are retained', () => {
    for (const [id, type] of Object.entries(STATEFUL)) {
      expect(resource(id)?.Type, id).toBe(type);
      expect(resource(id)?.DeletionPolicy, id).toBe('Retain');
      expect(resource(id)?.UpdateReplacePolicy, id).toBe('Retain');
    }
    expect(resource(REST_API)?.Type).toBe('AWS::ApiGateway::RestApi');
  });

  it('the table keeps its key schema, index and TTL attribute (a change would replace it)', () => {
    expect(resource('KeyStoreTable117FAEE3')?.Properties).toMatchObject({
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'gsi1',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
        },
      ],
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    });
    // A physical name would make any replacement fail instead of orphaning; there is none to change.
    expect(resource('KeyStoreTable117FAEE3')?.Properties.TableName).toBeUndefined();
  });

  it('the secrets keep their generation settings (a change would generate new values)', () => {
    for (const id of ['KeyStoreAdminKeyBEB00C9D', 'KeyStoreSigningSecret95D3178A']) {
      expect(resource(id)?.Properties.GenerateSecretString, id).toEqual({
        ExcludePunctuation: true,
        IncludeSpace: false,
        PasswordLength: 64,
      });
      expect(resource(id)?.Properties.Name, id).toBeUndefined();
    }
  });
});
