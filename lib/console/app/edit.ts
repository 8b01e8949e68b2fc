/**
 * The "Edit" dialog (`PATCH /v1/keys/{id}`): name, description, rate limit, expiry (UTC; empty =
 * never; presets 30 days, 90 days, Never), metadata (`key=value` lines), allowed networks and credits
 * (set, changed, or removed by emptying the balance). Only changed fields are sent, and the changes are listed
 * ("Rate limit: 60 → 120/min") before saving; the expiry is sent only when the operator changed the
 * field. Also home of the expiry and metadata field helpers the create form shares.
 */

import { api } from './api';
import { creditsChange, creditsFields } from './credits';
import { h } from './dom';
import { type ShownKey, utc } from './format';
import { RATE_LIMIT_PER_MINUTE } from './limits';
import { announce, field, openDialog } from './ui';

/** `2026-06-03T14:00` (a datetime-local value read as UTC) → ISO, or null for empty. */
export function expiryFromInput(value: string): string | null {
  if (value.trim() === '') return null;
  const d = new Date(value.length === 16 ? `${value}:00Z` : `${value}Z`);
  if (Number.isNaN(d.getTime())) throw new Error('Expires: enter a date and time.');
  return d.toISOString();
}

export function expiryToInput(iso: string | null): string {
  return iso ? new Date(iso).toISOString().slice(0, 16) : '';
}

const DAY_MS = 86_400_000;
/** The expiry presets beside the date field: days from now, or null for never. */
const EXPIRY_PRESETS: [string, number | null][] = [
  ['30 days', 30],
  ['90 days', 90],
  ['Never', null],
];

/**
 * The "Expires (UTC)" field with its presets: "30 days" and "90 days" fill in that many days from now
 * (to the minute), "Never" empties it. Each fires `input`, so the edit dialog's change list follows.
 */
export function expiryField(input: HTMLInputElement, hint: string): HTMLElement {
  const presets = h(
    'div',
    { class: 'presets', role: 'group', 'aria-label': 'Expiry presets' },
    EXPIRY_PRESETS.map(([label, days]) =>
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          on: {
            click: () => {
              input.value =
                days === null ? '' : expiryToInput(new Date(Date.now() + days * DAY_MS).toISOString());
              input.dispatchEvent(new Event('input', { bubbles: true }));
            },
          },
        },
        label,
      ),
    ),
  );
  const box = field('Expires (UTC)', input, hint);
  box.classList.add('expiry');
  input.after(presets);
  return box;
}

/** `key=value` lines → a string map; blank lines are ignored. */
export function parseMetadata(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`Metadata line ${i + 1}: write it as key=value.`);
    out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

export function formatMetadata(metadata: Record<string, string> | undefined): string {
  return Object.entries(metadata ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
}

/** The "Allowed networks" field: one CIDR per line (or separated by commas or spaces); empty = anywhere. */
export function parseCidrs(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

export function formatCidrs(cidrs: readonly string[] | undefined): string {
  return (cidrs ?? []).join('\n');
}

export function editDialog(key: ShownKey, done: () => void): void {
  const name = h('input', { type: 'text', required: true, maxlength: 100, value: key.name });
  const description = h('textarea', { maxlength: 500, rows: 2 }, key.description ?? '');
  const limit = h('input', { type: 'number', ...RATE_LIMIT_PER_MINUTE, value: key.rate_limit_per_minute });
  const expires = h('input', { type: 'datetime-local', value: expiryToInput(key.expires_at) });
  const metadata = h('textarea', { rows: 3 }, formatMetadata(key.metadata));
  const networks = h('textarea', { rows: 2 }, formatCidrs(key.allowed_cidrs));
  const credits = creditsFields(
    key.credits ?? null,
    'Balance',
    'Empty: no credits (unlimited). Saving sets the balance to this number; “Add credits” adds to it instead.',
  );
  const summary = h('ul', { class: 'changes', 'aria-live': 'polite' });

  const changes = (): { body: Record<string, unknown>; lines: string[] } => {
    const body: Record<string, unknown> = {};
    const lines: string[] = [];
    if (name.value !== key.name) {
      body.name = name.value;
      lines.push(`Name: ${key.name} → ${name.value}`);
    }
    const desc = description.value.trim() === '' ? null : description.value;
    if (desc !== key.description) {
      body.description = desc;
      lines.push(desc === null ? 'Description: cleared' : 'Description: changed');
    }
    const rate = Number(limit.value);
    if (limit.value !== '' && rate !== key.rate_limit_per_minute) {
      body.rate_limit_per_minute = rate;
      lines.push(`Rate limit: ${key.rate_limit_per_minute} → ${rate}/min`);
    }
    // The field holds minutes; the stored expiry may hold seconds (a rotated key's grace, an API
    // client's choice). Only an expiry the operator changed is sent, so a rename keeps it exactly.
    if (expires.value !== expiryToInput(key.expires_at)) {
      const exp = expiryFromInput(expires.value);
      body.expires_at = exp;
      lines.push(`Expires: ${key.expires_at ? utc(key.expires_at) : 'never'} → ${exp ? utc(exp) : 'never'}`);
    }
    if (metadata.value.trim() !== formatMetadata(key.metadata).trim()) {
      body.metadata = parseMetadata(metadata.value);
      lines.push('Metadata: changed');
    }
    const cidrs = parseCidrs(networks.value);
    if (cidrs.join('\n') !== formatCidrs(key.allowed_cidrs)) {
      body.allowed_cidrs = cidrs;
      lines.push(cidrs.length === 0 ? 'Allowed networks: anywhere' : 'Allowed networks: changed');
    }
    const creditsBody = credits.read();
    const creditsLine = creditsChange(key.credits ?? null, creditsBody);
    if (creditsLine !== null) {
      body.credits = creditsBody;
      lines.push(creditsLine);
    }
    return { body, lines };
  };
  const refreshSummary = () => {
    try {
      const { lines } = changes();
      summary.replaceChildren(...(lines.length ? lines : ['No changes yet.']).map((l) => h('li', {}, l)));
    } catch (error) {
      summary.replaceChildren(h('li', {}, error instanceof Error ? error.message : String(error)));
    }
  };
  refreshSummary();
  openDialog({
    title: `Edit “${key.name}”`,
    body: [
      field('Name', name),
      field('Description', description),
      field('Rate limit per minute', limit),
      expiryField(expires, 'Empty or “Never”: the key never expires.'),
      field('Metadata', metadata, 'One key=value per line.'),
      field('Allowed networks', networks, 'IPv4 or IPv6 CIDRs, one per line; empty: any address.'),
      credits.el,
      h('h3', {}, 'Changes'),
      summary,
    ],
    confirmLabel: 'Save changes',
    onConfirm: async () => {
      const { body } = changes();
      if (Object.keys(body).length === 0) throw new Error('Nothing changed.');
      await api('updateKey', { params: { id: key.id }, body });
      announce(`Saved changes to “${typeof body.name === 'string' ? body.name : key.name}”.`);
      done();
    },
  }).addEventListener('input', refreshSummary);
}
