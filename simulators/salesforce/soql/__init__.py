"""SOQL: tokenizer, parser, compiler to SQLite and the paging engine."""
