"""Full-text search over published posts: FTS5 on SQLite, tsvector on PostgreSQL."""
