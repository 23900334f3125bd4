"""Framework-free core of the chat application: config, auth, models, repositories, Bedrock, streaming."""
