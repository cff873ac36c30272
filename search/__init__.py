"""Full-text search: the index interface, SQLite FTS5 and Elasticsearch backends, duplicate detection."""
