/** Restore API handler and restore worker. */
package dev.pgbackup.restore;
