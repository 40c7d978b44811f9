"""The event store: the eventsourcing application, its recorders, group commit and hash chain."""
