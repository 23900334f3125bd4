-- Staging for ingestion that spans several Lambda invocations.
-- rag.ingestions holds one in-flight ingestion per document: the version being ingested, how far parsing
-- got (PDF page cursor, next chunk ordinal) and a lease, so a duplicate SQS message does not work on the
-- same document at the same time. rag.staged_chunks holds the parsed chunks and, as they are computed,
-- their embeddings. The final step copies the staged chunks into rag.chunks and marks the document ready in
-- one transaction, then deletes the staging rows. Deleting a document or a workspace cascades here.
CREATE TABLE IF NOT EXISTS rag.ingestions (
    workspace_id  uuid NOT NULL,
    document_id   uuid NOT NULL,
    version       bigint NOT NULL CHECK (version >= 0),
    parsed        boolean NOT NULL DEFAULT false,
    next_page     integer NOT NULL DEFAULT 0 CHECK (next_page >= 0),
    total_pages   integer CHECK (total_pages IS NULL OR total_pages >= 0),
    next_ordinal  integer NOT NULL DEFAULT 0 CHECK (next_ordinal >= 0),
    chars         bigint NOT NULL DEFAULT 0 CHECK (chars >= 0),
    invocations   integer NOT NULL DEFAULT 1,
    lease_owner   uuid,
    lease_expires timestamptz NOT NULL DEFAULT now(),
    started_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, document_id),
    FOREIGN KEY (workspace_id, document_id) REFERENCES rag.documents (workspace_id, id) ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS rag.staged_chunks (
    workspace_id uuid NOT NULL,
    document_id  uuid NOT NULL,
    ordinal      integer NOT NULL CHECK (ordinal >= 0),
    text         text NOT NULL,
    metadata     jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
    embedding    vector,  -- NULL until embedded
    PRIMARY KEY (workspace_id, document_id, ordinal),
    FOREIGN KEY (workspace_id, document_id) REFERENCES rag.ingestions (workspace_id, document_id)
        ON DELETE CASCADE
);

-- Same row-level security as every other rag table (see 0003): only the request's workspaces.
ALTER TABLE rag.ingestions ENABLE ROW LEVEL SECURITY;
ALTER TABLE rag.ingestions FORCE ROW LEVEL SECURITY;
ALTER TABLE rag.staged_chunks ENABLE ROW LEVEL SECURITY;
ALTER TABLE rag.staged_chunks FORCE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS ingestions_scoped ON rag.ingestions;
CREATE POLICY ingestions_scoped ON rag.ingestions FOR ALL
    USING (workspace_id = ANY (rag.allowed_workspaces()))
    WITH CHECK (workspace_id = ANY (rag.allowed_workspaces()));
DROP POLICY IF EXISTS staged_chunks_scoped ON rag.staged_chunks;
CREATE POLICY staged_chunks_scoped ON rag.staged_chunks FOR ALL
    USING (workspace_id = ANY (rag.allowed_workspaces()))
    WITH CHECK (workspace_id = ANY (rag.allowed_workspaces()));

GRANT SELECT, INSERT, UPDATE, DELETE ON rag.ingestions, rag.staged_chunks TO chatbot_rag_app;
