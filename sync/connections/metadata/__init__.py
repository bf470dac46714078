"""What the connected systems say about themselves: Salesforce describe and NetSuite's metadata catalog.

``types`` holds the normalised, Django-free shapes every consumer reads (the mapping validator, the query
derivation, the editor's field pickers); the connectors fetch the raw answers, ``services`` caches them per
connection (refreshed on demand), and ``selectors`` serve them back as :class:`types.SystemMetadata`.
"""
