"""Retrieval-augmented generation: parsing, chunking, and the pgvector store (store.py, migrations/).

Importing this package imports nothing heavy; the store needs psycopg, the parsers their libraries.
"""
