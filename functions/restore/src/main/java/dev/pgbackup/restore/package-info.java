/**
 * The restore worker and the restore core it shares with the drill: archive reads, the swap and in-place strategies,
 * the administrative session, the journal of created databases, the roles. The API that starts a restore is
 * {@code restore.api}; the drill that proves a backup restores is {@code restore.drill}; both depend on this
 * package, never the reverse.
 */
package dev.pgbackup.restore;
