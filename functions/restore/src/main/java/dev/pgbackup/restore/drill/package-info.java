/**
 * The restore drill: its handler and schedules, the backup restored into a scratch database with the restore core's
 * archive reads and administrative session, the checks of that database, the last-drill record and its watch.
 */
package dev.pgbackup.restore.drill;
