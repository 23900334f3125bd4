-- Schema for retrieval: workspaces, documents with an ingestion status, chunks with embeddings.
-- One chunks table for every embedding dimension: the column is an untyped `vector` (full precision) and
-- each supported dimension has its own partial HNSW expression index over halfvec(N) (see 0002). Queries
-- order by the same halfvec(N) expression and filter on dims = N, so each workspace's model dimension is
-- searched through its own index without zero padding, then re-rank the candidates on the full vectors.
CREATE EXTENSION IF NOT EXISTS vector;
CREATE SCHEMA IF NOT EXISTS rag;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'chatbot_rag_app') THEN
        -- Group role the application's login role is granted; it owns nothing, so RLS always applies.
        CREATE ROLE chatbot_rag_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
    END IF;
END
$$;

CREATE TABLE IF NOT EXISTS rag.workspaces (
    id              uuid PRIMARY KEY,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    embedding_model text NOT NULL CHECK (length(embedding_model) BETWEEN 1 AND 200),
    dimension       smallint NOT NULL CHECK (dimension IN (256, 512, 1024, 1536)),
    chunk_size      integer NOT NULL CHECK (chunk_size > 0),
    chunk_overlap   integer NOT NULL CHECK (chunk_overlap >= 0 AND chunk_overlap < chunk_size),
    hybrid_search   boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- Target of the chunks' (workspace_id, dims) foreign key: a chunk's dimension is its workspace's.
    UNIQUE (id, dimension)
);

CREATE TABLE IF NOT EXISTS rag.documents (
    workspace_id uuid NOT NULL REFERENCES rag.workspaces (id) ON DELETE CASCADE,
    id           uuid NOT NULL,
    source       text NOT NULL CHECK (length(source) BETWEEN 1 AND 1024),
    version      bigint NOT NULL CHECK (version >= 0),
    status       text NOT NULL CHECK (status IN ('queued', 'processing', 'ready', 'failed')),
    reason       text CHECK (reason IS NULL OR length(reason) <= 2000),
    chunk_count  integer NOT NULL DEFAULT 0,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, id),
    CHECK ((status = 'failed') = (reason IS NOT NULL))
);

CREATE TABLE IF NOT EXISTS rag.chunks (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id uuid NOT NULL,
    document_id  uuid NOT NULL,
    ordinal      integer NOT NULL CHECK (ordinal >= 0),
    text         text NOT NULL,
    metadata     jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
    embedding    vector NOT NULL,
    dims         smallint GENERATED ALWAYS AS (vector_dims(embedding)) STORED,
    tsv          tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, text)) STORED,
    UNIQUE (document_id, workspace_id, ordinal),
    FOREIGN KEY (workspace_id, document_id) REFERENCES rag.documents (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, dims) REFERENCES rag.workspaces (id, dimension) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS chunks_workspace_idx ON rag.chunks (workspace_id);
CREATE INDEX IF NOT EXISTS chunks_tsv_idx ON rag.chunks USING gin (tsv);
CREATE INDEX IF NOT EXISTS chunks_metadata_idx ON rag.chunks USING gin (metadata jsonb_path_ops);
