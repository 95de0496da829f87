package dev.pgbackup.restore;

import java.util.Objects;

/**
 * The database a restore step writes into, as its failures speak of it. A restore replaces the environment's
 * database or sits beside it, and a failure says what became of that database by name. A drill's scratch database
 * is made and dropped by the drill, whose own failure says what became of it: a restore step there names no target.
 */
public final class RestoreTarget {
    /** A drill's scratch database: named only once it is made, and its fate is the drill's to tell. */
    public static final RestoreTarget SCRATCH = new RestoreTarget(null);

    private final String database;

    private RestoreTarget(String database) {
        this.database = database;
    }

    /** The environment's database (or the copy beside it) that the restore names in what it says. */
    public static RestoreTarget named(String database) {
        return new RestoreTarget(Objects.requireNonNull(database, "database"));
    }

    public boolean isScratch() {
        return database == null;
    }

    /** The database's name; a scratch target has none. */
    public String database() {
        if (database == null) {
            throw new IllegalStateException("a scratch target has no name");
        }
        return database;
    }

    @Override
    public String toString() {
        return database == null ? "scratch database" : database;
    }
}
