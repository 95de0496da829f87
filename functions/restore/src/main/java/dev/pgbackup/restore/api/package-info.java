/**
 * Starting a restore: the API handler, its body and checks, the lock and the launch of the restore worker, and the
 * scheduled refresh the backup worker starts with the same checks. What runs the restore is the package above.
 */
package dev.pgbackup.restore.api;
