// The create-workspace form's rules: options from the API, request bodies per engine, summaries.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  DEFAULT_OPTIONS, engineLabel, isReadOnly, normaliseOptions, refChoices, workspaceRequest, workspaceSummary,
} from '../js/workspace_form.js';

const OPTIONS = {
  engines: ['pgvector', 'kendra', 'bedrock-kb'], readOnlyEngines: ['kendra', 'bedrock-kb'],
  kendraIndexes: [{ id: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', name: 'HR handbook' }],
  knowledgeBases: [{ id: 'KBABCDE123', name: '' }, { name: 'no id' }],
  rerankModels: ['amazon.rerank-v1:0'],
};

test('options are normalised, with pgvector only as the fallback', () => {
  const options = normaliseOptions(OPTIONS);
  assert.deepEqual(options.engines, ['pgvector', 'kendra', 'bedrock-kb']);
  assert.deepEqual(options.readOnlyEngines, ['kendra', 'bedrock-kb']);
  assert.deepEqual(options.knowledgeBases, [{ id: 'KBABCDE123', name: 'KBABCDE123' }]);
  assert.deepEqual(refChoices('kendra', options), OPTIONS.kendraIndexes);
  assert.deepEqual(refChoices('pgvector', options), []);
  assert.equal(normaliseOptions(null), DEFAULT_OPTIONS);
  assert.equal(normaliseOptions({ engines: [] }), DEFAULT_OPTIONS);
  assert.deepEqual(DEFAULT_OPTIONS.engines, ['pgvector']);
});

test('request bodies follow the engine', () => {
  const values = {
    name: ' Handbook ', engine: 'pgvector', embeddingModel: 'amazon.titan-embed-text-v2:0', chunkSize: '400',
    chunkOverlap: '40', hybridSearch: true, engineRef: 'ignored', rerankModel: '',
  };
  assert.deepEqual(workspaceRequest(values), {
    name: 'Handbook', engine: 'pgvector', embeddingModel: 'amazon.titan-embed-text-v2:0', chunkSize: 400,
    chunkOverlap: 40, hybridSearch: true,
  });
  assert.equal(workspaceRequest({ ...values, engine: 'opensearch' }).hybridSearch, false);
  assert.deepEqual(workspaceRequest({ ...values, engine: 'kendra', engineRef: 'IDX', rerankModel: 'amazon.rerank-v1:0' }), {
    name: 'Handbook', engine: 'kendra', engineRef: 'IDX', rerankModel: 'amazon.rerank-v1:0',
  });
  assert.ok(isReadOnly('bedrock-kb') && !isReadOnly('opensearch'));
});

test('summaries and labels', () => {
  assert.equal(engineLabel('opensearch'), 'OpenSearch Serverless');
  assert.equal(engineLabel('other'), 'other');
  assert.equal(workspaceSummary({
    engine: 'pgvector', embeddingModel: 'm', dimension: 1024, chunkSize: 300, chunkOverlap: 50, hybridSearch: true,
  }), 'Aurora PostgreSQL (pgvector), embedding model m (1024 dims), chunks of 300 with 50 overlap, hybrid search.');
  assert.equal(workspaceSummary({ engine: 'bedrock-kb', engineRef: 'KBABCDE123', rerankModel: 'amazon.rerank-v1:0' }),
    'Bedrock knowledge base, reading KBABCDE123, reranked by amazon.rerank-v1:0.');
  assert.match(workspaceSummary({ embeddingModel: 'm', dimension: 256, chunkSize: 1, chunkOverlap: 0 }), /^Aurora/);
});
