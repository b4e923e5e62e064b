"""The audit trail: the record model, its writer, its triggers, and its verification."""
