package dev.pgbackup.restore;

import dev.pgbackup.common.storage.Manifest;
import java.util.List;

/** Room for a new database on the server, checked before it is created: refused with the numbers when it does not fit. */
final class ServerRoom {
    private final FreeStorage freeStorage;
    private final int marginPercent;

    ServerRoom(FreeStorage freeStorage, int marginPercent) {
        this.freeStorage = freeStorage;
        this.marginPercent = marginPercent;
    }

    void require(RestoreService.Plan plan, List<String> notes) {
        Long needed = plan.manifest().map(Manifest::databaseBytes).orElse(null);
        FreeStorage.refusal(freeStorage.read(), needed, marginPercent, notes)
                .ifPresent(why -> {
                    throw RestoreFailure.refused(plan.target(), why);
                });
    }
}
