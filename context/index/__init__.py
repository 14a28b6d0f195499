"""The repository index: windows of every file (windows.py), kept in tantivy and SQLite
(repo.py), built in a process of its own (indexer.py), leaving out what no person wrote
(authored.py)."""
