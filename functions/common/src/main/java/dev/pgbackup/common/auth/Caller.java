package dev.pgbackup.common.auth;

/** Who called, from a verified token: the subject for the audit line and the job record. */
public record Caller(String subject) {}
