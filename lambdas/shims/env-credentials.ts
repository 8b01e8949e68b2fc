/**
 * A drop-in for `@aws-sdk/credential-provider-node` that reads only the environment, which is where
 * Lambda puts a function's credentials. The stack's bundles alias the SDK clients' default credential
 * chain to it (see lib/cdk/latchkey-function.ts): the full chain (SSO, INI files, process, web identity,
 * IMDS, HTTP… with their nested STS/SSO clients) is dead weight in a Lambda, about 130 KB of bundle and
 * 20 ms of cold start. Local mode is not bundled and keeps the SDK's full chain.
 */
export function defaultProvider() {
  return async () => {
    const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
    if (!accessKeyId || !secretAccessKey) throw new Error('AWS credentials are not set in the environment');
    const expiration = process.env.AWS_CREDENTIAL_EXPIRATION;
    return {
      accessKeyId,
      secretAccessKey,
      ...(process.env.AWS_SESSION_TOKEN ? { sessionToken: process.env.AWS_SESSION_TOKEN } : {}),
      ...(expiration ? { expiration: new Date(expiration) } : {}),
    };
  };
}
