"""Forms of the sync area (parsing and validating what people post; services do the work)."""
