/**
 * The error types' behaviour: each code carries its status from the one table, a validation error
 * names its field, a dependency failure is never a client error, and the body has one shape. The
 * table itself is not copied here (a copy can only fail when someone edits the table).
 */
import { describe, expect, it } from 'vitest';
import {
  ApiError,
  DependencyError,
  ERROR_STATUS,
  type ErrorCode,
  errorBody,
  UNAUTHORIZED_MESSAGE,
  ValidationError,
} from '#core/errors';

describe('ApiError', () => {
  it.each(Object.keys(ERROR_STATUS) as ErrorCode[])('%s carries its status', (code) => {
    const error = new ApiError(code, 'A sentence.');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ApiError');
    expect(error.code).toBe(code);
    expect(error.status).toBe(ERROR_STATUS[code]);
    expect(error.message).toBe('A sentence.');
    expect(error.field).toBeUndefined();
  });

  it('can name a field', () => {
    expect(new ApiError('conflict', 'Taken.', 'name').field).toBe('name');
  });
});

describe('ValidationError', () => {
  it('is a 400 invalid_request naming the field', () => {
    const error = new ValidationError('rate_limit_per_minute', 'rate_limit_per_minute: too big');
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ValidationError');
    expect(error.code).toBe('invalid_request');
    expect(error.status).toBe(400);
    expect(error.field).toBe('rate_limit_per_minute');
    expect(error.message).toBe('rate_limit_per_minute: too big');
  });
});

describe('DependencyError', () => {
  it('is not an ApiError (it maps to a 5xx, never to a client error) and keeps its cause', () => {
    const cause = new Error('socket hang up');
    const error = new DependencyError('DynamoDB failed', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(ApiError);
    expect(error.name).toBe('DependencyError');
    expect(error.message).toBe('DynamoDB failed');
    expect(error.cause).toBe(cause);
  });
});

describe('errorBody', () => {
  it('builds the one error body shape', () => {
    expect(errorBody('not_found', 'No such key.', 'req-1')).toEqual({
      error: { code: 'not_found', message: 'No such key.', request_id: 'req-1' },
    });
  });
});

describe('UNAUTHORIZED_MESSAGE', () => {
  it('is one human sentence that reveals no reason', () => {
    expect(UNAUTHORIZED_MESSAGE).toMatch(/^[A-Z].*\.$/);
    expect(UNAUTHORIZED_MESSAGE).not.toMatch(/revoked|expired|checksum|unknown|wrong|nonce|signature/i);
  });
});
