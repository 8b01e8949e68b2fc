// The SDK demo of docs/sdk.md: `node examples/sdk-demo.mjs` with `npm start` running and ADMIN_KEY set
// (export ADMIN_KEY=$(npm run -s admin-key)). It creates a key, then calls the echo route with a
// signed request. The package test runs this file against local mode from an installed tarball.
import { LatchkeyClient } from 'latchkey';

const baseUrl = process.env.LATCHKEY_URL ?? 'http://127.0.0.1:8787';

const admin = new LatchkeyClient({ baseUrl, key: process.env.ADMIN_KEY });
const { key, raw_key } = await admin.createKey({ name: 'billing' });
const app = new LatchkeyClient({ baseUrl, key: raw_key, sign: true });
console.log((await app.fetch('/v1/echo/orders')).status, key.id);
