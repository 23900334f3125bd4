-- Retrieval engines (issue 6): a workspace chooses its engine when it is created.
--   pgvector    chunks in rag.chunks (as before; every existing workspace becomes one)
--   opensearch  chunks staged and embedded here, then bulk-written to an OpenSearch Serverless index
--   kendra      a read-only view on a Kendra index (engine_ref = the index id)
--   bedrock-kb  a read-only view on a Bedrock knowledge base (engine_ref = its id)
-- The catalogue (workspaces, documents, statuses) stays in these tables for every engine. Kendra indexes
-- and knowledge bases embed with their own models, so their workspaces have no embedding model or
-- dimension; every other engine needs both. rerank_model turns on reranking (rag/engines/rerank.py).
-- Row-level security is unchanged: the policies of 0001/0003 cover whole rows, new columns included.
ALTER TABLE rag.workspaces ADD COLUMN IF NOT EXISTS engine text NOT NULL DEFAULT 'pgvector';
ALTER TABLE rag.workspaces ADD COLUMN IF NOT EXISTS engine_ref text;
ALTER TABLE rag.workspaces ADD COLUMN IF NOT EXISTS rerank_model text;
ALTER TABLE rag.workspaces ALTER COLUMN embedding_model DROP NOT NULL;
ALTER TABLE rag.workspaces ALTER COLUMN dimension DROP NOT NULL;

ALTER TABLE rag.workspaces DROP CONSTRAINT IF EXISTS workspaces_engine_check;
ALTER TABLE rag.workspaces ADD CONSTRAINT workspaces_engine_check
    CHECK (engine IN ('pgvector', 'opensearch', 'kendra', 'bedrock-kb'));
-- An index or knowledge base id for the two read-only engines, and only for them.
ALTER TABLE rag.workspaces DROP CONSTRAINT IF EXISTS workspaces_engine_ref_check;
ALTER TABLE rag.workspaces ADD CONSTRAINT workspaces_engine_ref_check
    CHECK ((engine IN ('kendra', 'bedrock-kb')) = (engine_ref IS NOT NULL)
           AND (engine_ref IS NULL OR engine_ref ~ '^[A-Za-z0-9][A-Za-z0-9:/_-]{0,199}$'));
-- Only the read-only engines may go without an embedding model, and then without a dimension too.
ALTER TABLE rag.workspaces DROP CONSTRAINT IF EXISTS workspaces_embedding_check;
ALTER TABLE rag.workspaces ADD CONSTRAINT workspaces_embedding_check
    CHECK ((embedding_model IS NULL) = (dimension IS NULL)
           AND (embedding_model IS NOT NULL OR engine IN ('kendra', 'bedrock-kb')));
ALTER TABLE rag.workspaces DROP CONSTRAINT IF EXISTS workspaces_rerank_model_check;
ALTER TABLE rag.workspaces ADD CONSTRAINT workspaces_rerank_model_check
    CHECK (rerank_model IS NULL OR length(rerank_model) BETWEEN 1 AND 200);
