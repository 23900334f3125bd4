// The create-workspace form's rules, kept pure (no DOM) so they are unit-tested: which engines, indexes and
// reranking models the stack offers (GET /workspaces/options), and the request body for a choice.

export const READ_ONLY_ENGINES = ['kendra', 'bedrock-kb'];
const ENGINE_LABELS = {
  pgvector: 'Aurora PostgreSQL (pgvector)',
  opensearch: 'OpenSearch Serverless',
  kendra: 'Amazon Kendra index',
  'bedrock-kb': 'Bedrock knowledge base',
};

/** The options a stack without the options route (or an older API) has: pgvector only. */
export const DEFAULT_OPTIONS = Object.freeze({
  engines: ['pgvector'], readOnlyEngines: [], kendraIndexes: [], knowledgeBases: [], rerankModels: [],
});

export function engineLabel(engine) {
  return ENGINE_LABELS[engine] ?? String(engine);
}

/** Kendra and knowledge base workspaces read their own index: no uploads, no embedding model. */
export function isReadOnly(engine) {
  return READ_ONLY_ENGINES.includes(engine);
}

/** Normalise the API's options (unknown shapes fall back to the defaults, entries to strings). */
export function normaliseOptions(raw) {
  if (!raw || typeof raw !== 'object' || !Array.isArray(raw.engines) || !raw.engines.length) return DEFAULT_OPTIONS;
  const refs = (list) => (Array.isArray(list) ? list : [])
    .filter((r) => r && typeof r.id === 'string')
    .map((r) => ({ id: r.id, name: typeof r.name === 'string' && r.name ? r.name : r.id }));
  return {
    engines: raw.engines.map(String),
    readOnlyEngines: raw.engines.map(String).filter(isReadOnly),
    kendraIndexes: refs(raw.kendraIndexes),
    knowledgeBases: refs(raw.knowledgeBases),
    rerankModels: Array.isArray(raw.rerankModels) ? raw.rerankModels.map(String) : [],
  };
}

/** The indexes or knowledge bases a read-only engine can point at; [] for the others. */
export function refChoices(engine, options) {
  if (engine === 'kendra') return options.kendraIndexes;
  if (engine === 'bedrock-kb') return options.knowledgeBases;
  return [];
}

/**
 * The POST /workspaces body for the form's values: an embedding model and chunking for engines that ingest
 * uploads, an engineRef for read-only ones, hybrid search on pgvector only, a reranking model when chosen.
 */
export function workspaceRequest(values) {
  const body = { name: String(values.name ?? '').trim(), engine: values.engine || 'pgvector' };
  if (isReadOnly(body.engine)) {
    body.engineRef = values.engineRef;
  } else {
    body.embeddingModel = String(values.embeddingModel ?? '').trim();
    body.chunkSize = Number(values.chunkSize);
    body.chunkOverlap = Number(values.chunkOverlap);
    body.hybridSearch = body.engine === 'pgvector' && Boolean(values.hybridSearch);
  }
  if (values.rerankModel) body.rerankModel = values.rerankModel;
  return body;
}

/** A workspace's one-line description (the documents page, the list). */
export function workspaceSummary(ws) {
  const parts = [engineLabel(ws.engine ?? 'pgvector')];
  if (isReadOnly(ws.engine)) parts.push(`reading ${ws.engineRef ?? 'an index'}`);
  else parts.push(`embedding model ${ws.embeddingModel} (${ws.dimension} dims)`,
    `chunks of ${ws.chunkSize} with ${ws.chunkOverlap} overlap`);
  if (ws.hybridSearch) parts.push('hybrid search');
  if (ws.rerankModel) parts.push(`reranked by ${ws.rerankModel}`);
  return `${parts.join(', ')}.`;
}
