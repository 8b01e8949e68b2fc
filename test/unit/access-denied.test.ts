/**
 * What a dependency failure's log line says of an AWS AccessDeniedException: the denied IAM action
 * beside the error's name (what `latchkey doctor` maps to the IAM statement granting it), never the
 * ARNs of AWS's message; any other error is its name alone.
 */
import { describe, expect, it } from 'vitest';
import { failureName } from '#lambda/aws/access-denied';

const named = (name: string, message: string) => Object.assign(new Error(message), { name });

describe('failureName', () => {
  it('keeps the action of an access-denied message as AWS words it, and drops the ARNs', () => {
    const error = named(
      'AccessDeniedException',
      'User: arn:aws:sts::123456789012:assumed-role/Latchkey-AuthorizerRole/fn is not authorized to perform: dynamodb:UpdateItem on resource: arn:aws:dynamodb:eu-west-1:123456789012:table/Latchkey-Keys because no identity-based policy allows the dynamodb:UpdateItem action',
    );
    expect(failureName(error)).toBe('AccessDeniedException (dynamodb:UpdateItem)');
    expect(
      failureName(
        named(
          'AccessDeniedException',
          'User: arn:x is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:y',
        ),
      ),
    ).toBe('AccessDeniedException (secretsmanager:GetSecretValue)');
  });

  it('is the name alone otherwise', () => {
    expect(failureName(named('AccessDeniedException', 'Access denied'))).toBe('AccessDeniedException');
    expect(failureName(named('ThrottlingException', 'is not authorized to perform: dynamodb:GetItem'))).toBe(
      'ThrottlingException',
    );
    expect(failureName('a string')).toBe('UnknownError');
  });
});
