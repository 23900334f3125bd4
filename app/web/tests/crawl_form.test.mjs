// The crawl form's rules: when it shows, what it offers, and the request body or what to fix.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  CRAWLING_OFF, crawlHint, crawlingOptions, crawlKinds, crawlRequest, offersCrawl,
} from '../js/crawl_form.js';

const ON = crawlingOptions({ crawling: { enabled: true, maxPages: 50, feeds: false, allowedDomains: [] } });
const FEEDS = crawlingOptions({
  crawling: { enabled: true, maxPages: 10, feeds: true, allowedDomains: ['Docs.Example.com', 'docs.example.com', 7, ''] },
});
const VALUES = { url: ' https://docs.example.com/guide ', kind: 'page', maxPages: '', followLinks: true };

test('options are normalised; anything else means crawling is off', () => {
  assert.deepEqual(ON, { enabled: true, maxPages: 50, feeds: false, allowedDomains: [] });
  assert.deepEqual(FEEDS.allowedDomains, ['docs.example.com']);
  assert.equal(FEEDS.feeds, true);
  for (const raw of [null, {}, { crawling: { enabled: false, maxPages: 5 } }, { crawling: { enabled: 'true', maxPages: 5 } },
    { crawling: { enabled: true, maxPages: 0 } }, { crawling: { enabled: true, maxPages: 2.5 } }]) {
    assert.equal(crawlingOptions(raw), CRAWLING_OFF);
  }
});

test('the form shows for writable workspaces on a stack with crawling', () => {
  assert.ok(offersCrawl({ engine: 'pgvector' }, ON));
  assert.ok(offersCrawl({ engine: 'opensearch' }, ON));
  assert.ok(offersCrawl({}, ON)); // a workspace from before engines existed is pgvector
  assert.ok(!offersCrawl({ engine: 'kendra' }, ON));
  assert.ok(!offersCrawl({ engine: 'bedrock-kb' }, ON));
  assert.ok(!offersCrawl({ engine: 'pgvector' }, CRAWLING_OFF));
  assert.ok(!offersCrawl(null, ON));
});

test('feeds are offered only when the stack allows them', () => {
  assert.deepEqual(crawlKinds(ON).map((k) => k.value), ['page', 'sitemap']);
  assert.deepEqual(crawlKinds(FEEDS).map((k) => k.value), ['page', 'sitemap', 'feed']);
  assert.match(crawlHint(ON), /stays on the start address/);
  assert.match(crawlHint(FEEDS), /Allowed hosts: docs\.example\.com\./);
});

test('a valid form becomes the request body, the page count defaulting to the cap', () => {
  assert.deepEqual(crawlRequest(VALUES, ON), {
    body: { url: 'https://docs.example.com/guide', kind: 'page', maxPages: 50, followLinks: true },
  });
  assert.deepEqual(crawlRequest({ ...VALUES, url: 'HTTPS://DOCS.example.com', kind: 'sitemap', maxPages: '7', followLinks: false }, ON),
    { body: { url: 'https://docs.example.com/', kind: 'sitemap', maxPages: 7, followLinks: false } });
  assert.equal(crawlRequest({ ...VALUES, kind: 'feed', maxPages: '10' }, FEEDS).body.kind, 'feed');
  assert.equal(crawlRequest({ ...VALUES, kind: '' }, ON).body.kind, 'page');
});

test('https only, allowed hosts, offered kinds and the page cap', () => {
  const error = (changes, crawling = ON) => crawlRequest({ ...VALUES, ...changes }, crawling).error;
  assert.match(error({ url: '  ' }), /^Enter the address/);
  assert.match(error({ url: 'docs.example.com' }), /is not a web address/);
  assert.equal(error({ url: 'http://docs.example.com/' }), 'Only https addresses can be crawled.');
  assert.equal(error({ url: 'ftp://docs.example.com/' }), 'Only https addresses can be crawled.');
  assert.equal(error({ url: 'javascript:alert(1)' }), 'Only https addresses can be crawled.');
  assert.match(error({ url: `https://docs.example.com/${'a'.repeat(2000)}` }), /longer than 2000/);
  assert.equal(error({ url: 'https://evil.example.net/' }, FEEDS),
    'evil.example.net is not an allowed host; allowed: docs.example.com.');
  assert.equal(error({ url: 'https://DOCS.example.com./x', maxPages: '1' }, FEEDS), undefined);
  assert.equal(error({ kind: 'feed' }), 'Choose what kind of address it is.');
  assert.equal(error({ kind: 'ftp' }, FEEDS), 'Choose what kind of address it is.');
  for (const maxPages of ['0', '51', '2.5', 'ten', '-1']) assert.equal(error({ maxPages }), 'Most pages: a whole number from 1 to 50.');
  assert.equal(error({ maxPages: ' 50 ' }), undefined);
});
