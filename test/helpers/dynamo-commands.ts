/**
 * The DynamoDB commands a client sends, seen once per command (not per retry attempt): for the tests
 * that hold the authorizer and the management API to their call budgets, and for the benchmark. No
 * vitest import, so the benchmark (run outside vitest) can use it.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** Calls `seen` with the name of every command `client` sends. */
export function onDynamoCommand(client: DynamoDBClient, seen: (commandName: string) => void): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      seen(context.commandName ?? 'unknown');
      return next(args);
    },
    { step: 'initialize', name: 'countCalls' },
  );
}
