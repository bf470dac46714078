"""The mapping editor's views, by topic: versions and their transitions, field rows, the dry run."""
