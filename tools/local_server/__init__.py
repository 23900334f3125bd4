"""The whole chatbot on one machine (`make serve`): the real handlers behind a local HTTP and WebSocket
server, with moto for AWS, an embedded PostgreSQL with pgvector, and a local identity provider."""
