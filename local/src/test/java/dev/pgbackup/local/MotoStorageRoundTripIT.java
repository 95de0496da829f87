package dev.pgbackup.local;

import dev.pgbackup.testsupport.MotoServer;
import java.net.URI;

/** The storage round trip against moto (always runs). */
class MotoStorageRoundTripIT extends StorageRoundTripContract {
    @Override
    URI endpoint() {
        return MotoServer.get().endpoint();
    }

    @Override
    String name() {
        return "moto";
    }
}
