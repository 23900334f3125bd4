-- One cosine HNSW index per supported dimension, over the embedding cast to halfvec(N) (pgvector indexes
-- halfvec up to 4,000 dimensions). The table keeps the full float4 vectors; search orders by the same
-- halfvec expression and re-ranks its candidates exactly (store.py), so half precision costs no recall.
-- Why these parameters (tools/bench_retrieval.py and tools/bench_ingest.py measure them, 1024 dims):
--   * halfvec halves the bytes each graph step reads; inserting is memory-bound, so it is faster, and the
--     index is a third of the size of a vector(N) one.
--   * m = 8 instead of pgvector's default 16: every insert also rewires the new element's neighbours, and
--     that work grows with m. At 100k rows m = 16 inserts ~400 chunks/s per core, m = 8 ~800 (from empty
--     ~1,300), and recall@10 at ef_search 200 stays >= 0.98 on the benchmark's clustered data.
--   * ef_construction = 64 (the default): lower values cut insert time further but lose recall that no
--     ef_search recovers (m = 8, ef_construction = 32 tops out near 0.90).
-- Query time is tuned with hnsw.ef_search (VectorStore.ef_search).
CREATE INDEX IF NOT EXISTS chunks_hnsw_256 ON rag.chunks USING hnsw ((embedding::halfvec(256)) halfvec_cosine_ops)
    WITH (m = 8, ef_construction = 64) WHERE dims = 256;
CREATE INDEX IF NOT EXISTS chunks_hnsw_512 ON rag.chunks USING hnsw ((embedding::halfvec(512)) halfvec_cosine_ops)
    WITH (m = 8, ef_construction = 64) WHERE dims = 512;
CREATE INDEX IF NOT EXISTS chunks_hnsw_1024 ON rag.chunks USING hnsw ((embedding::halfvec(1024)) halfvec_cosine_ops)
    WITH (m = 8, ef_construction = 64) WHERE dims = 1024;
CREATE INDEX IF NOT EXISTS chunks_hnsw_1536 ON rag.chunks USING hnsw ((embedding::halfvec(1536)) halfvec_cosine_ops)
    WITH (m = 8, ef_construction = 64) WHERE dims = 1536;
