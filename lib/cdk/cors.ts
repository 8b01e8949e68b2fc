/**
 * CORS preflights on a REST API: an `OPTIONS` method without the authorizer on every management resource
 * (the resources `corsResources` lists), each a mock integration answering 204 with the static headers of
 * `corsPreflightHeaders`, built by the CDK's own `Resource.addCorsPreflight`. A preflight carries no
 * `Authorization` header, so it could never pass the authorizer; answering it says nothing about any key.
 * Kept apart from the route methods so that the REST construct calls it in one line.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { CORS_ALLOW_HEADERS, CORS_MAX_AGE_SECONDS, corsResources } from '../core/cors';
import type { Route } from '../core/routes';

/** Adds the preflight methods for `routes`' management resources to `api`; returns them. */
export function addCorsPreflights(
  api: apigateway.IRestApi,
  routes: readonly Route[],
  allowOrigin: string,
): apigateway.Method[] {
  return corsResources(routes).map(({ path, methods }) => {
    const method = api.root.resourceForPath(path).addCorsPreflight({
      allowOrigins: [allowOrigin],
      allowMethods: methods,
      allowHeaders: [...CORS_ALLOW_HEADERS],
      maxAge: Duration.seconds(CORS_MAX_AGE_SECONDS),
      statusCode: 204,
    });
    const reason =
      `OPTIONS ${path} answers CORS preflights (corsAllowOrigin) from a mock integration with static ` +
      'headers: browsers send preflights without credentials, it reaches no function and reads no data.';
    Validations.of(method).acknowledge({ id: 'AwsSolutions-APIG4', reason });
    Validations.of(method).acknowledge({ id: 'AwsSolutions-COG4', reason });
    return method;
  });
}
