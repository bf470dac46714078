"""SuiteQL: a tokenizer, a recursive-descent parser and a compiler to parameterised SQLite over our tables."""
