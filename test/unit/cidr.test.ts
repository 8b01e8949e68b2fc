import { describe, expect, it } from 'vitest';
import { addressAllowed, containingNetworks, networksWithin, parseCidr } from '#core/cidr';

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8'],
    [' 192.0.2.7 ', '192.0.2.7/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['2001:DB8::/32', '2001:db8::/32'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1/128'],
    ['2001:db8:0:0:1:0:0:0/80', '2001:db8:0:0:1::/80'],
    ['::/0', '::/0'],
    ['::1', '::1/128'],
    ['::ffff:10.0.0.0/104', '10.0.0.0/8'],
    ['::ffff:192.0.2.1', '192.0.2.1/32'],
    ['::ffff:0:0/96', '0.0.0.0/0'],
  ])('%s is %s', (input, canonical) => {
    expect(parseCidr(input)).toEqual({ ok: true, cidr: canonical });
  });

  it.each([
    ['10.0.0.1/8', 'host_bits_set', '10.0.0.0/8'],
    ['2001:db8::1/32', 'host_bits_set', '2001:db8::/32'],
  ])('%s has host bits set (hint %s)', (input, problem, hint) => {
    expect(parseCidr(input)).toEqual({ ok: false, problem, hint });
  });

  it.each([
    ['10.0.0.0/33', 'bad_prefix_length'],
    ['2001:db8::/129', 'bad_prefix_length'],
    ['10.0.0.0/', 'bad_prefix_length'],
    ['10.0.0.0/-1', 'bad_prefix_length'],
    ['10.0.0.0/8/8', 'not_an_address'],
    ['10.0.0.256/32', 'not_an_address'],
    ['010.0.0.0/8', 'not_an_address'],
    ['example.com/8', 'not_an_address'],
    ['fe80::1%eth0/128', 'not_an_address'],
    ['', 'not_an_address'],
  ])('%s is refused: %s', (input, problem) => {
    expect(parseCidr(input)).toMatchObject({ ok: false, problem });
  });
});

describe('containingNetworks', () => {
  it('lists the 33 IPv4 networks from /0 to /32', () => {
    const networks = containingNetworks('192.0.2.129');
    expect(networks).toHaveLength(33);
    expect(networks[0]).toBe('0.0.0.0/0');
    expect(networks[24]).toBe('192.0.2.0/24');
    expect(networks[25]).toBe('192.0.2.128/25');
    expect(networks[32]).toBe('192.0.2.129/32');
  });

  it('lists the 129 IPv6 networks from /0 to /128', () => {
    const networks = containingNetworks('2001:db8::1');
    expect(networks).toHaveLength(129);
    expect(networks[32]).toBe('2001:db8::/32');
    expect(networks[128]).toBe('2001:db8::1/128');
  });

  it('reads an IPv4-mapped IPv6 address as the IPv4 address', () => {
    expect(containingNetworks('::ffff:127.0.0.1')).toEqual(containingNetworks('127.0.0.1'));
  });

  it('is empty for something that is not an address', () => {
    expect(containingNetworks('unknown')).toEqual([]);
  });
});

describe('addressAllowed', () => {
  const v4 = ['192.0.2.0/24'];
  const v6 = ['2001:db8::/32'];

  it('allows every address, and none, when the list is empty', () => {
    expect(addressAllowed([], '203.0.113.9')).toBe(true);
    expect(addressAllowed([], '2001:db8::1')).toBe(true);
    expect(addressAllowed([], undefined)).toBe(true);
  });

  it.each([
    ['192.0.2.0', true],
    ['192.0.2.255', true],
    ['192.0.1.255', false],
    ['192.0.3.0', false],
    ['::ffff:192.0.2.10', true],
    ['::ffff:192.0.3.10', false],
    ['2001:db8::1', false],
  ])('IPv4 list: %s → %s', (ip, allowed) => {
    expect(addressAllowed(v4, ip)).toBe(allowed);
  });

  it.each([
    ['2001:db8::', true],
    ['2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', true],
    ['2001:db7:ffff:ffff:ffff:ffff:ffff:ffff', false],
    ['2001:db9::', false],
    ['192.0.2.1', false],
  ])('IPv6 list: %s → %s', (ip, allowed) => {
    expect(addressAllowed(v6, ip)).toBe(allowed);
  });

  it('matches single addresses and the whole space', () => {
    expect(addressAllowed(['127.0.0.1/32'], '127.0.0.1')).toBe(true);
    expect(addressAllowed(['127.0.0.1/32'], '127.0.0.2')).toBe(false);
    expect(addressAllowed(['::1/128'], '::1')).toBe(true);
    expect(addressAllowed(['0.0.0.0/0'], '8.8.8.8')).toBe(true);
    expect(addressAllowed(['0.0.0.0/0'], '::1')).toBe(false);
    expect(addressAllowed(['::/0'], '::1')).toBe(true);
  });

  it('refuses an unknown or unparsable source address when there is a list', () => {
    expect(addressAllowed(v4, undefined)).toBe(false);
    expect(addressAllowed(v4, 'not-an-ip')).toBe(false);
  });
});

describe('networksWithin', () => {
  it('holds for equal and narrower networks of the same family', () => {
    expect(networksWithin(['10.0.0.0/8'], ['10.0.0.0/8'])).toBe(true);
    expect(networksWithin(['10.255.0.0/16', '10.0.0.1/32'], ['10.0.0.0/8'])).toBe(true);
    expect(networksWithin(['2001:db8:ffff::/48'], ['2001:db8::/32'])).toBe(true);
  });

  it('fails for wider, neighbouring or other-family networks, and for anywhere', () => {
    expect(networksWithin(['10.0.0.0/7'], ['10.0.0.0/8'])).toBe(false);
    expect(networksWithin(['11.0.0.0/8'], ['10.0.0.0/8'])).toBe(false);
    expect(networksWithin(['::/0'], ['0.0.0.0/0'])).toBe(false);
    expect(networksWithin([], ['10.0.0.0/8'])).toBe(false);
  });

  it('anything is within no list (anywhere)', () => {
    expect(networksWithin([], [])).toBe(true);
    expect(networksWithin(['::/0'], [])).toBe(true);
  });
});
