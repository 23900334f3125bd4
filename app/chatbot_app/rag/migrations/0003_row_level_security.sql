-- Row-level security keyed on the workspaces a request may read. The store sets
--   SELECT set_config('app.workspace_ids', '<uuid>,<uuid>', true)
-- inside each transaction (transaction-local). No setting, an empty one or a malformed one gives an empty
-- set, so a query without context returns nothing even if the application forgets its WHERE clause.
CREATE OR REPLACE FUNCTION rag.allowed_workspaces() RETURNS uuid[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN coalesce(current_setting('app.workspace_ids', true), '')
             ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(,[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})*$'
        THEN string_to_array(current_setting('app.workspace_ids', true), ',')::uuid[]
        ELSE '{}'::uuid[]
    END
$$;

-- Listing every workspace's catalogue row (name, model, settings; never documents or chunks) is an
-- administrative read the store opts into per transaction with app.workspace_catalog = 'on'.
CREATE OR REPLACE FUNCTION rag.catalog_reader() RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(current_setting('app.workspace_catalog', true), '') = 'on'
$$;

ALTER TABLE rag.workspaces ENABLE ROW LEVEL SECURITY;
ALTER TABLE rag.workspaces FORCE ROW LEVEL SECURITY;
ALTER TABLE rag.documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE rag.documents FORCE ROW LEVEL SECURITY;
ALTER TABLE rag.chunks ENABLE ROW LEVEL SECURITY;
ALTER TABLE rag.chunks FORCE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS workspaces_read ON rag.workspaces;
CREATE POLICY workspaces_read ON rag.workspaces FOR SELECT
    USING (id = ANY (rag.allowed_workspaces()) OR rag.catalog_reader());
DROP POLICY IF EXISTS workspaces_insert ON rag.workspaces;
CREATE POLICY workspaces_insert ON rag.workspaces FOR INSERT
    WITH CHECK (id = ANY (rag.allowed_workspaces()));
DROP POLICY IF EXISTS workspaces_update ON rag.workspaces;
CREATE POLICY workspaces_update ON rag.workspaces FOR UPDATE
    USING (id = ANY (rag.allowed_workspaces())) WITH CHECK (id = ANY (rag.allowed_workspaces()));
DROP POLICY IF EXISTS workspaces_delete ON rag.workspaces;
CREATE POLICY workspaces_delete ON rag.workspaces FOR DELETE
    USING (id = ANY (rag.allowed_workspaces()));

DROP POLICY IF EXISTS documents_scoped ON rag.documents;
CREATE POLICY documents_scoped ON rag.documents FOR ALL
    USING (workspace_id = ANY (rag.allowed_workspaces()))
    WITH CHECK (workspace_id = ANY (rag.allowed_workspaces()));
DROP POLICY IF EXISTS chunks_scoped ON rag.chunks;
CREATE POLICY chunks_scoped ON rag.chunks FOR ALL
    USING (workspace_id = ANY (rag.allowed_workspaces()))
    WITH CHECK (workspace_id = ANY (rag.allowed_workspaces()));

REVOKE ALL ON SCHEMA rag FROM PUBLIC;
GRANT USAGE ON SCHEMA rag TO chatbot_rag_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON rag.workspaces, rag.documents, rag.chunks TO chatbot_rag_app;
GRANT EXECUTE ON FUNCTION rag.allowed_workspaces(), rag.catalog_reader() TO chatbot_rag_app;
