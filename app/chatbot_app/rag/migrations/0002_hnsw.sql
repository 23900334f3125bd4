-- One cosine HNSW index per supported dimension, over the embedding cast to halfvec(N) (pgvector indexes
-- halfvec up to 4,000 dimensions). The table keeps the full float4 vectors; search orders by the same
-- halfvec expression and re-ranks its candidates exactly (store.py), so half precision costs no recall.
-- Every insert maintains the graph, and that dominates ingestion (~90% of it). Measured at 1024 dims,
-- 100k rows, one writer on a 2-core machine (tools/bench_ingest.py --db, tools/bench_retrieval.py):
--   * halfvec: each graph step reads half the bytes (inserting is memory-bound), and the index is a third
--     of a vector(N) one's size (260 MB vs 781 MB at 100k x 1024).
--   * m = 8 rather than the default 16 doubles insert speed (~400 -> ~800 chunks/s per core) and keeps
--     recall@10 >= 0.99 at ef_search 200 on the benchmark's clustered data (0.97 on a harder anisotropic
--     set, where m = 6 fell to 0.87). ef_construction = 64 (the default): at 32 recall stalls near 0.90
--     whatever ef_search is. Binary quantization was faster still but lost recall on anisotropic data.
-- Query time is tuned with hnsw.ef_search (VectorStore.ef_search).
CREATE INDEX IF NOT EXISTS chunks_hnsw_256 ON rag.chunks USING hnsw ((embedding::halfvec(256)) halfvec_cosine_ops)
    WITH (m = 8, ef_construction = 64) WHERE dims = 256;
CREATE INDEX IF NOT EXISTS chunks_hnsw_512 ON rag.chunks USING hnsw ((embedding::halfvec(512)) halfvec_cosine_ops)
    WITH (m = 8, ef_construction = 64) WHERE dims = 512;
CREATE INDEX IF NOT EXISTS chunks_hnsw_1024 ON rag.chunks USING hnsw ((embedding::halfvec(1024)) halfvec_cosine_ops)
    WITH (m = 8, ef_construction = 64) WHERE dims = 1024;
CREATE INDEX IF NOT EXISTS chunks_hnsw_1536 ON rag.chunks USING hnsw ((embedding::halfvec(1536)) halfvec_cosine_ops)
    WITH (m = 8, ef_construction = 64) WHERE dims = 1536;
