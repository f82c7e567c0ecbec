import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { test } from 'node:test';
import { sniffFormat } from '../src/parsers/create.js';
import { fixturePath, repoPath } from './helpers.js';

const cases: Array<[string, string]> = [
  ['bind/named-9.18-plain.log', 'bind'],
  ['bind/named-9.18-category-severity.log', 'bind'],
  ['bind/named-9.18-iso8601-utc.log', 'bind'],
  ['bind/classic-and-syslog.log', 'bind'],
  ['zeek/wrccdc-excerpt.log', 'zeek-tsv'],
  ['zeek/wrccdc-excerpt.json', 'zeek-json'],
  ['dnsmasq/dnsmasq-2.90-queries.log', 'dnsmasq'],
  ['dnsmasq/dnsmasq-2.90-extra.log', 'dnsmasq'],
  ['dnsmasq/dnsmasq-2.90-syslog.log', 'dnsmasq'],
  ['unbound/unbound-1.17-ascii.log', 'unbound'],
  ['unbound/unbound-1.17-epoch.log', 'unbound'],
  ['unbound/unbound-1.17-replies-only.log', 'unbound-replies'],
  ['suricata/eve-dns-v2.json', 'suricata-eve'],
  ['windows-dns/debug.log', 'windows-dns'],
  ['json/route53.jsonl', 'route53'],
  ['json/clouddns.jsonl', 'clouddns'],
  ['suricata/eve-mixed.json', 'suricata-eve'],
];

for (const [file, format] of cases) {
  test(`auto format: ${file} is ${format}`, () => {
    assert.equal(sniffFormat(readFileSync(fixturePath(file))), format);
  });
}

test('auto format: the real WRCCDC Zeek logs, TSV and JSON', () => {
  const dir = '../shared/data/zeek-wrccdc2018';
  assert.equal(sniffFormat(gunzipSync(readFileSync(repoPath(`${dir}/dns.log.gz`)))), 'zeek-tsv');
  assert.equal(sniffFormat(gunzipSync(readFileSync(repoPath(`${dir}/dns.json.gz`)))), 'zeek-json');
});
