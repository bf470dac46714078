"""What every feature's API shares: base view classes, paging, error answers, body parsers, permission
classes (which call each feature's predicates) and common serializer fields. Imports no feature."""
