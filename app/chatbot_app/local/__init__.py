"""Local mode: models that run on a laptop without AWS credentials (`make serve` without Bedrock).

Imported only when EMBEDDING_PROVIDER=local or MODEL_PROVIDER=local: wordllama is a development
dependency (requirements-dev.txt) and is not in the Lambda archive, so the deployed stack never loads this
package.
"""
