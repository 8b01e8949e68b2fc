/**
 * Where the SDK may send a credential: only to the base URL's origin, under its path prefix. URL parsing
 * reads `/\\host` and `/<tab>/host` as `//host` and resolves `/../`, so a request path that looks
 * relative could otherwise carry the key to another server or outside the stage; `confinedUrl` refuses
 * such a path (TypeError) before anything is sent.
 */

/** The URL of `path` under `origin` + `basePath`, or a TypeError when it would leave them. */
export function confinedUrl(origin: string, basePath: string, path: string): URL {
  if (typeof path !== 'string' || !path.startsWith('/') || path.startsWith('//')) {
    throw new TypeError('path must start with a single "/", e.g. /v1/keys');
  }
  const url = new URL(`${basePath}${path}`, origin);
  if (
    url.origin !== origin ||
    url.username !== '' ||
    url.password !== '' ||
    !url.pathname.startsWith(`${basePath}/`)
  ) {
    throw new TypeError(
      `path resolves outside the base URL ${origin}${basePath}; the key is only sent to the base URL`,
    );
  }
  return url;
}
