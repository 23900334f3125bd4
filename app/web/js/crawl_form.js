// The crawl form's rules, kept pure (no DOM) so they are unit-tested: whether the documents page offers a
// crawl (GET /workspaces/options `crawling`, the workspace's engine), the kinds and page limit it offers,
// and the POST /workspaces/{id}/crawls body. The API checks everything again (and more: robots.txt,
// private addresses); these checks only save a round trip for the obvious mistakes.

import { isReadOnly } from './workspace_form.js';

export const CRAWL_STARTED = 'Crawl started: pages appear below as they are ingested';
const MAX_URL_CHARS = 2000; // the API's limit (CrawlRequest.url)

/** What a stack without crawling (or an older API without `crawling`) has: no form. */
export const CRAWLING_OFF = Object.freeze({ enabled: false, maxPages: 0, feeds: false, allowedDomains: [] });

const KINDS = [
  { value: 'page', label: 'A page (and the pages it links to)' },
  { value: 'sitemap', label: 'A sitemap (sitemap.xml)' },
  { value: 'feed', label: 'An RSS or Atom feed' },
];

const host = (name) => String(name).trim().toLowerCase().replace(/\.$/, '');

/** The options' `crawling` object, normalised; anything malformed means crawling is off. */
export function crawlingOptions(raw) {
  const crawling = raw?.crawling;
  if (!crawling || crawling.enabled !== true) return CRAWLING_OFF;
  const maxPages = Number(crawling.maxPages);
  if (!Number.isInteger(maxPages) || maxPages < 1) return CRAWLING_OFF;
  const domains = Array.isArray(crawling.allowedDomains) ? crawling.allowedDomains : [];
  return {
    enabled: true, maxPages, feeds: crawling.feeds === true,
    allowedDomains: [...new Set(domains.filter((d) => typeof d === 'string' && d.trim()).map(host))],
  };
}

/** The form shows for writable workspaces (pgvector, opensearch) on a stack with crawling. */
export function offersCrawl(workspace, crawling) {
  return Boolean(crawling?.enabled && workspace && !isReadOnly(workspace.engine));
}

/** The kinds of start URL the form offers: feeds only when the stack allows them. */
export function crawlKinds(crawling) {
  return KINDS.filter((k) => k.value !== 'feed' || crawling.feeds);
}

/** The form's hint under the URL field. */
export function crawlHint(crawling) {
  const hosts = crawling.allowedDomains.length
    ? `Allowed hosts: ${crawling.allowedDomains.join(', ')}.`
    : 'The crawl stays on the start address’s host.';
  return `An https address. ${hosts} robots.txt is honoured; each page becomes a document.`;
}

/**
 * The POST body for the form's values ({url, kind, maxPages, followLinks}), or {error} naming what to fix.
 * An empty page count means the stack's limit.
 */
export function crawlRequest(values, crawling) {
  const text = String(values.url ?? '').trim();
  if (!text) return { error: 'Enter the address of the page, sitemap or feed to crawl.' };
  let url;
  try {
    url = new URL(text);
  } catch {
    return { error: `“${text.slice(0, 200)}” is not a web address (it starts with https://).` };
  }
  if (url.protocol !== 'https:') return { error: 'Only https addresses can be crawled.' };
  if (url.href.length > MAX_URL_CHARS) return { error: `The address is longer than ${MAX_URL_CHARS} characters.` };
  const allowed = crawling.allowedDomains;
  if (allowed.length && !allowed.includes(host(url.hostname))) {
    return { error: `${url.hostname} is not an allowed host; allowed: ${allowed.join(', ')}.` };
  }
  const kind = values.kind || 'page';
  if (!crawlKinds(crawling).some((k) => k.value === kind)) return { error: 'Choose what kind of address it is.' };
  const rawPages = String(values.maxPages ?? '').trim();
  const maxPages = rawPages === '' ? crawling.maxPages : Number(rawPages);
  if (!Number.isInteger(maxPages) || maxPages < 1 || maxPages > crawling.maxPages) {
    return { error: `Most pages: a whole number from 1 to ${crawling.maxPages}.` };
  }
  return { body: { url: url.href, kind, maxPages, followLinks: Boolean(values.followLinks) } };
}
