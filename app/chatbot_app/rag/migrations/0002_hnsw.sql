-- One cosine HNSW index per supported dimension (pgvector indexes at most 2,000 dimensions).
-- m / ef_construction are pgvector's defaults; query-time recall is tuned with hnsw.ef_search.
CREATE INDEX IF NOT EXISTS chunks_hnsw_256 ON rag.chunks
    USING hnsw ((embedding::vector(256)) vector_cosine_ops) WITH (m = 16, ef_construction = 64) WHERE dims = 256;
CREATE INDEX IF NOT EXISTS chunks_hnsw_512 ON rag.chunks
    USING hnsw ((embedding::vector(512)) vector_cosine_ops) WITH (m = 16, ef_construction = 64) WHERE dims = 512;
CREATE INDEX IF NOT EXISTS chunks_hnsw_1024 ON rag.chunks
    USING hnsw ((embedding::vector(1024)) vector_cosine_ops) WITH (m = 16, ef_construction = 64) WHERE dims = 1024;
CREATE INDEX IF NOT EXISTS chunks_hnsw_1536 ON rag.chunks
    USING hnsw ((embedding::vector(1536)) vector_cosine_ops) WITH (m = 16, ef_construction = 64) WHERE dims = 1536;
