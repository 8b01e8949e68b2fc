/**
 * The "Create key" dialog: "Key name" (required), description, roles (from `GET /v1/roles`, or a text
 * field when the API has no roles endpoint), rate limit, expiry
 * (a date, or the presets 30 days, 90 days, Never), metadata, allowed networks, optional credits
 * (a starting balance, a refill and a low threshold) and an optional Ed25519
 * public key (a public-key key: no token, nothing to reveal). On success the dialog
 * closes and the page shows the once-only "New token" reveal with the next step, a `curl` that tries
 * the new key.
 */

import type { NewKeyResponse, RegisteredKeyResponse, RolesResponse } from '#core/wire';
import { api } from './api';
import { creditsFields } from './credits';
import { h } from './dom';
import { expiryField, expiryFromInput, parseCidrs, parseMetadata } from './edit';
import { tryKeyHelp } from './first-steps';
import { RATE_LIMIT_PER_MINUTE } from './limits';
import { orgQuery } from './session';
import { announce, field, openDialog, tokenReveal } from './ui';

async function rolesControl(): Promise<{ el: HTMLElement; read: () => string[] | undefined }> {
  try {
    const res = await api<RolesResponse>('listRoles');
    const boxes = Object.entries(res.roles).map(([role, permissions]) => {
      const box = h('input', {
        type: 'checkbox',
        name: 'role',
        value: role,
        checked: role === res.default_role,
      });
      return h(
        'label',
        { class: 'choice' },
        box,
        `${role} `,
        h('span', { class: 'hint' }, permissions.join(', ')),
      );
    });
    const el = h('fieldset', {}, h('legend', {}, 'Roles'), boxes);
    const read = () => [...el.querySelectorAll<HTMLInputElement>('input:checked')].map((b) => b.value);
    return { el, read };
  } catch {
    const input = h('input', { type: 'text', placeholder: 'member' });
    const read = () => {
      const roles = input.value
        .split(',')
        .map((r) => r.trim())
        .filter((r) => r !== '');
      return roles.length ? roles : undefined;
    };
    return { el: field('Roles', input, 'Comma-separated; empty for the default role.'), read };
  }
}

export async function createDialog(reveal: (section: HTMLElement) => void, done: () => void): Promise<void> {
  const name = h('input', { type: 'text', required: true, maxlength: 100, autocomplete: 'off' });
  const description = h('textarea', { maxlength: 500, rows: 2 });
  const limit = h('input', { type: 'number', ...RATE_LIMIT_PER_MINUTE, placeholder: 'default' });
  const expires = h('input', { type: 'datetime-local' });
  const metadata = h('textarea', { rows: 3 });
  const networks = h('textarea', { rows: 2 });
  const publicKey = h('textarea', { rows: 3, spellcheck: false, autocomplete: 'off' });
  const credits = creditsFields(
    null,
    'Starting balance',
    'Optional; empty: unlimited (calls spend nothing).',
  );
  const roles = await rolesControl();
  openDialog({
    title: 'Create key',
    body: [
      field('Key name', name),
      field('Description', description),
      roles.el,
      field('Rate limit per minute', limit),
      expiryField(expires, 'Empty or “Never”: the key never expires (not recommended).'),
      field('Metadata', metadata, 'Optional; one key=value per line.'),
      field(
        'Allowed networks',
        networks,
        'Optional; IPv4 or IPv6 CIDRs, one per line. Empty: the key works from any address.',
      ),
      credits.el,
      field(
        'Public key (Ed25519)',
        publicKey,
        'Optional; a PEM PUBLIC KEY or base64url. Given: the key has no token and signs with RFC 9421 using its private key, which stays with you.',
      ),
    ],
    confirmLabel: 'Create',
    onConfirm: async () => {
      const body: Record<string, unknown> = { name: name.value };
      if (description.value.trim() !== '') body.description = description.value;
      const picked = roles.read();
      if (picked) body.roles = picked;
      if (limit.value !== '') body.rate_limit_per_minute = Number(limit.value);
      const exp = expiryFromInput(expires.value);
      if (exp) body.expires_at = exp;
      const meta = parseMetadata(metadata.value);
      if (Object.keys(meta).length) body.metadata = meta;
      const cidrs = parseCidrs(networks.value);
      if (cidrs.length) body.allowed_cidrs = cidrs;
      const creditsBody = credits.read();
      if (creditsBody) body.credits = creditsBody;
      const org = orgQuery();
      if (org) body.org_id = org;
      if (publicKey.value.trim() !== '') body.public_key = publicKey.value.trim();
      const res = await api<NewKeyResponse | RegisteredKeyResponse>('createKey', { body });
      if (!('raw_key' in res)) {
        // A public-key key: latchkey holds no secret of it, so there is no token to reveal.
        announce(`Registered “${res.key.name}”: it signs with its Ed25519 private key.`);
        done();
        return;
      }
      reveal(
        tokenReveal(
          res.raw_key,
          res.key.id,
          `New key “${res.key.name}” (${res.key.key_prefix})`,
          null,
          tryKeyHelp(),
        ),
      );
      announce(`Created “${res.key.name}”.`);
      done();
    },
  });
}
