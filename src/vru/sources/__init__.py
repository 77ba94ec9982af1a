"""Source adapters: partner files -> canonical rows + rejected rows with reasons."""
